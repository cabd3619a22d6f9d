package io.mpipe.bench.e2e;

import io.mpipe.bench.BenchOutput;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What {@code bench e2e} prints: a line per step as it goes, and the table at the end. */
final class E2eReport {
    private E2eReport() {
    }

    static void progress(E2eBench.Step step) {
        BenchOutput.progress(String.format("step %,.0f/s: produced %,.0f/s, stored %,.0f/s, backlog %,d, exported %,.0f/s,"
                + " exporter backlog %,d, JIT compiling %.0f %% of the time, rows out of time order %.0f %%, %s -> %s",
                step.rate(), step.produced(), step.stored(), step.backlog(), step.exported(), step.exporterBacklog(),
                100 * step.jitBusy(), 100 * step.outOfOrder(), CpuByPart.busy(step),
                step.sustained() ? "kept up" : "fell behind"));
        if (!step.cpuByPart().isEmpty()) {
            BenchOutput.progress("  its CPU a metric: " + CpuByPart.describe(step));
        }
    }

    static void print(E2eBench.Result r) {
        List<String[]> t = new ArrayList<>();
        t.add(new String[] {"sustained, whole pipeline", BenchOutput.num(r.sustained()), "metrics/s, goal >= 200,000"});
        t.add(new String[] {"  limit: raw binary COPY", BenchOutput.num(r.rawCopy()),
            String.format("rows/s (sustained = %.2f of it)", r.sustained() / r.rawCopy())});
        t.add(new String[] {"  limit: producer alone", BenchOutput.num(r.producerLimit()),
            String.format("records/s (sustained = %.2f of it)", r.sustained() / r.producerLimit())});
        t.add(new String[] {"  limit: consumer alone", BenchOutput.num(r.consumerLimit()),
            String.format("records/s (sustained = %.2f of it)", r.sustained() / r.consumerLimit())});
        String at = String.format("ms at %,.0f/s", r.latencyRate());
        t.add(new String[] {"produce to committed row, p50", E2eBench.ms(r.commitP50()), at});
        t.add(new String[] {"produce to committed row, p95", E2eBench.ms(r.commitP95()), at});
        t.add(new String[] {"produce to committed row, p99", E2eBench.ms(r.commitP99()), at + ", goal < 100"});
        t.add(new String[] {"produce to visible in the query API, p50", E2eBench.ms(r.visibleP50()), at});
        t.add(new String[] {"produce to visible in the query API, p99", E2eBench.ms(r.visibleP99()), at});
        t.add(new String[] {"  meanwhile", "", r.holdUps().toString()});
        for (E2eBench.Step s : r.steps()) {
            t.add(new String[] {String.format("  step %,.0f/s", s.rate()), String.format("%,.0f", s.stored()),
                String.format("stored/s, produced %,.0f/s, backlog %,d; exported %,.0f/s, backlog %,d; %s; %s",
                        s.produced(), s.backlog(), s.exported(), s.exporterBacklog(), CpuByPart.busy(s),
                        s.sustained() ? "kept up" : "fell behind")});
            if (!s.cpuByPart().isEmpty()) {
                t.add(new String[] {"    its CPU a metric", String.format(Locale.ROOT, "%.1f", s.cpuMicros()),
                    "us: " + CpuByPart.describe(s)});
            }
        }
        r.cluster().ifPresent(c -> {
            t.add(new String[] {String.format("on %d brokers: sustained", c.brokers()), BenchOutput.num(c.sustained()),
                String.format("metrics/s (%.2f of one broker's; replicated 3 times, acks=all)",
                        c.sustained() / r.sustained())});
            t.add(new String[] {String.format("  on %d brokers, limit: producer alone", c.brokers()),
                BenchOutput.num(c.producerLimit()), String.format("records/s (one broker: %s)",
                        BenchOutput.num(r.producerLimit()))});
            t.add(new String[] {String.format("on %d brokers: produce to committed row, p50", c.brokers()),
                E2eBench.ms(c.commitP50()), at});
            t.add(new String[] {String.format("on %d brokers: produce to committed row, p99", c.brokers()),
                E2eBench.ms(c.commitP99()), at + String.format(" (one broker: %s)", E2eBench.ms(r.commitP99()))});
            t.add(new String[] {String.format("on %d brokers: produce to visible, p99", c.brokers()),
                E2eBench.ms(c.visibleP99()), at});
            for (E2eBench.Step s : c.steps()) {
                t.add(new String[] {String.format("  step %,.0f/s", s.rate()), String.format("%,.0f", s.stored()),
                    String.format("stored/s, produced %,.0f/s, backlog %,d; %s; %s", s.produced(), s.backlog(),
                            CpuByPart.busy(s), s.sustained() ? "kept up" : "fell behind")});
            }
        });
        BenchOutput.table(String.format("bench e2e: %,d series, compression %s, broker and PostgreSQL on the same machine",
                r.series(), r.compression()),
                t);
    }
}
