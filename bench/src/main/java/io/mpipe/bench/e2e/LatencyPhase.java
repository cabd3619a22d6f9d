package io.mpipe.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.bench.BenchHttp;
import io.mpipe.bench.BenchOutput;
import io.mpipe.bench.CpuMeter;
import io.mpipe.bench.PauseWatch;
import io.mpipe.collector.CollectorApp;
import io.mpipe.exporter.query.MetricsQuery;
import io.prometheus.client.CollectorRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * Latency at a fixed, moderate rate: from the timestamp each sample carries (set when the collector
 * makes it) to the commit of the PostgreSQL transaction holding its row, and to the moment a query
 * to the exporter's API first returns it; and what held the pipeline up meanwhile.
 */
final class LatencyPhase {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The percentiles measured, in ms (NaN where nothing was measured). */
    record Latency(double commitP50, double commitP95, double commitP99, double visibleP50, double visibleP99,
            E2eBench.HoldUps holdUps) {
    }

    private LatencyPhase() {
    }

    static Latency run(Pipeline pipeline, E2eBench.Options o) throws Exception {
        BenchOutput.progress(String.format("latency: %,.0f metrics/s for %d s", o.rate(), o.duration().toSeconds()));
        Histogram visible = new Histogram(3_600_000L, 3);
        E2eBench.HoldUps holdUps;
        try (CollectorApp collector = CollectorApp.start(pipeline.collector(o.rate(), o.series(), o.compression()),
                new CollectorRegistry())) {
            Thread.sleep(3_000); // warm-up, not measured
            CpuMeter.Reading cpu0 = CpuMeter.read();
            try (PauseWatch pauses = PauseWatch.start()) {
                pipeline.measuring.set(true);
                probeVisible(pipeline.exporter.httpBaseUrl(), o.duration(), visible);
                pipeline.measuring.set(false);
                holdUps = new E2eBench.HoldUps(pauses.gcPauses(), pauses.longestGcPauseMs(),
                        pauses.longestStallMs(), CpuMeter.between(cpu0, CpuMeter.read()).steal());
            }
        }
        Histogram commits = pipeline.commits;
        BenchOutput.progress(String.format("commit p99 %s, visible p99 %s; meanwhile %s",
                E2eBench.withUnit(E2eBench.percentile(commits, 99)), E2eBench.withUnit(E2eBench.percentile(visible, 99)),
                holdUps));
        return new Latency(E2eBench.percentile(commits, 50), E2eBench.percentile(commits, 95),
                E2eBench.percentile(commits, 99), E2eBench.percentile(visible, 50), E2eBench.percentile(visible, 99),
                holdUps);
    }

    /**
     * Polls the query API for new samples of a few dozen series (one name, one host); visible
     * latency = the time a sample is first seen minus its timestamp. The probe is kept light (a
     * query every 10 ms of about a hundred samples) so that it measures the exporter rather than
     * loading it; its own period adds up to 10 ms. The query asks from 3 s before the newest sample
     * seen so far, not before now, so that an exporter further behind than that is still measured;
     * it asks for up to the API's maximum, and says so when an answer was cut at it (samples
     * became visible that the probe did not see).
     */
    static void probeVisible(String base, Duration duration, Histogram visible) throws Exception {
        int max = MetricsQuery.MAX_LIMIT;
        int cut = 0;
        Set<String> seen = new HashSet<>();
        long end = System.nanoTime() + duration.toNanos();
        long startMs = System.currentTimeMillis();
        long newest = startMs;
        while (System.nanoTime() < end) {
            BenchHttp.Response r = BenchHttp.get(base + "/api/v1/metrics?name=synthetic_level_0&label=host%3Dhost-0"
                    + "&limit=" + max + "&from=" + Math.max(startMs, newest - 3_000));
            long now = System.currentTimeMillis();
            if (r.status() == 200) {
                JsonNode metrics = JSON.readTree(r.body()).get("metrics");
                if (metrics.size() >= max) {
                    cut++;
                }
                for (JsonNode m : metrics) {
                    long ts = m.get("timestamp").asLong();
                    if (ts >= startMs && seen.add(m.get("labels").toString() + ts)) {
                        visible.recordValue(Math.max(0, now - ts));
                        newest = Math.max(newest, ts);
                    }
                }
            }
            Thread.sleep(10);
        }
        if (cut > 0) {
            BenchOutput.progress(String.format("visible latency: %d answers were cut at %,d samples; the probe missed"
                    + " some samples, so the visible percentiles err low", cut, max));
        }
    }
}
