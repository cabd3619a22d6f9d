package io.mpipe.bench.e2e;

import io.mpipe.bench.BenchEnvironment;
import io.mpipe.bench.BenchOutput;
import io.mpipe.bench.CpuMeter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.HdrHistogram.Histogram;

/**
 * {@code bench e2e}: the whole pipeline at a fixed rate (synthetic collector into the sink and the
 * exporter), with latency from produce to committed row and to visible in the query API, then a
 * step search for the highest rate at which the sink keeps up; and in the same run the limits of
 * the machine: the producer alone, the consumer alone, raw binary COPY of the same rows into the
 * same schema. Everything on one machine, broker and database included.
 *
 * <p>This class is the driver and what a run reports; each phase is a class of its own:
 * {@link Limits}, {@link LatencyPhase}, {@link StepSearch} (with {@link CpuByPart} for each step's
 * CPU), on the {@link Pipeline} under test, printed by {@link E2eReport}.
 */
public final class E2eBench {
    /**
     * Options of a run.
     *
     * @param compression the collector's {@code collector.producer.compression}
     */
    public record Options(Duration duration, double rate, int series, String bootstrap, Path json, String compression,
            int brokers) {

        public Options(Duration duration, double rate, int series, String bootstrap, Path json, String compression) {
            this(duration, rate, series, bootstrap, json, compression, 1);
        }
    }

    /** What one run of the pipeline measured: latency at the fixed rate, and the rate search. */
    record Measured(double sustained, double commitP50, double commitP95, double commitP99, double visibleP50,
            double visibleP99, List<Step> steps, HoldUps holdUps) {
    }

    /**
     * The same pipeline against a cluster of {@code brokers} Kafka nodes (replication 3,
     * {@code min.insync.replicas} 2, the collector's {@code acks=all}), in the same run.
     */
    public record ClusterResult(int brokers, double sustained, double commitP50, double commitP99, double visibleP99,
            List<Step> steps, double producerLimit) {
    }

    /**
     * One step of the rate search.
     *
     * @param machineBusy      share of the machine's cores not idle while the step was measured
     *                         (NaN where the machine does not say)
     * @param cpuMicros        CPU the whole machine spent per metric produced then, in µs: broker,
     *                         services, PostgreSQL and anything else on the host
     * @param jvmCpuMicros     the part of it this JVM spent (broker, collector, sink and exporter)
     * @param cpuByPart        the machine's CPU per metric by part ({@link CpuByPart}), in µs; empty
     *                         where not measured
     */
    public record Step(double rate, double produced, double stored, long backlog, double exported,
            long exporterBacklog, boolean sustained, double jitBusy, double outOfOrder, double machineBusy,
            double cpuMicros, double jvmCpuMicros, Map<String, Double> cpuByPart) {
    }

    /**
     * What held the pipeline up while latency was measured: garbage-collection pauses (how many,
     * the longest), the longest a thread that sleeps a millisecond at a time woke late (any stall
     * of the JVM or the machine), and the share of the machine's time its host gave to others.
     */
    public record HoldUps(long gcPauses, double gcPauseMaxMs, double stallMaxMs, double steal) {
        /** Nothing measured. */
        public static final HoldUps NONE = new HoldUps(0, Double.NaN, Double.NaN, Double.NaN);

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d GC pauses, the longest %s; the JVM stalled %s at most; steal %s",
                    gcPauses, msOrNone(gcPauseMaxMs), msOrNone(stallMaxMs),
                    Double.isNaN(steal) ? "not measured" : String.format(Locale.ROOT, "%.1f %%", 100 * steal));
        }

        private static String msOrNone(double v) {
            return Double.isNaN(v) ? "not measured" : String.format(Locale.ROOT, "%.0f ms", v);
        }
    }

    /** Results; JSON field names as the issue asks. */
    public record Result(double sustained, double rawCopy, double producerLimit, double consumerLimit,
            double latencyRate, double commitP50, double commitP95, double commitP99, double visibleP50,
            double visibleP99, List<Step> steps, int series, String compression, HoldUps holdUps,
            Optional<ClusterResult> cluster) {
        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sustained_metrics_per_s", Math.round(sustained));
            m.put("raw_copy_rows_per_s", Math.round(rawCopy));
            m.put("ratio_sustained_to_raw_copy", BenchOutput.round3(sustained / rawCopy));
            m.put("producer_records_per_s", Math.round(producerLimit));
            m.put("ratio_sustained_to_producer", BenchOutput.round3(sustained / producerLimit));
            m.put("consumer_records_per_s", Math.round(consumerLimit));
            m.put("ratio_sustained_to_consumer", BenchOutput.round3(sustained / consumerLimit));
            m.put("latency_rate_per_s", Math.round(latencyRate));
            m.put("commit_p50_ms_at_10k", jsonMs(commitP50));
            m.put("commit_p95_ms_at_10k", jsonMs(commitP95));
            m.put("commit_p99_ms_at_10k", jsonMs(commitP99));
            m.put("visible_p50_ms_at_10k", jsonMs(visibleP50));
            m.put("visible_p99_ms_at_10k", jsonMs(visibleP99));
            m.put("latency_gc_pauses", holdUps.gcPauses());
            m.put("latency_gc_pause_max_ms", jsonNumber(holdUps.gcPauseMaxMs()));
            m.put("latency_stall_max_ms", jsonNumber(holdUps.stallMaxMs()));
            m.put("latency_steal", jsonNumber(holdUps.steal()));
            List<Map<String, Object>> s = new ArrayList<>();
            for (Step st : steps) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("rate", Math.round(st.rate()));
                x.put("produced_per_s", Math.round(st.produced()));
                x.put("stored_per_s", Math.round(st.stored()));
                x.put("backlog", st.backlog());
                x.put("exported_per_s", Math.round(st.exported()));
                x.put("exporter_backlog", st.exporterBacklog());
                x.put("sustained", st.sustained());
                x.put("jit_busy", BenchOutput.round3(st.jitBusy()));
                x.put("rows_out_of_order", BenchOutput.round3(st.outOfOrder()));
                x.put("machine_busy", jsonNumber(st.machineBusy()));
                x.put("cpu_us_per_metric", jsonNumber(st.cpuMicros()));
                x.put("jvm_cpu_us_per_metric", jsonNumber(st.jvmCpuMicros()));
                Map<String, Object> parts = new LinkedHashMap<>();
                st.cpuByPart().forEach((k, v) -> parts.put(k, jsonNumber(v)));
                x.put("cpu_us_per_metric_by_part", parts.isEmpty() ? null : parts);
                s.add(x);
            }
            m.put("steps", s);
            cluster.ifPresent(c -> {
                m.put("brokers", c.brokers());
                m.put("cluster_sustained_metrics_per_s", Math.round(c.sustained()));
                m.put("ratio_cluster_to_one_broker_sustained", BenchOutput.round3(c.sustained() / sustained));
                m.put("cluster_producer_records_per_s", Math.round(c.producerLimit()));
                m.put("cluster_commit_p50_ms_at_10k", jsonMs(c.commitP50()));
                m.put("cluster_commit_p99_ms_at_10k", jsonMs(c.commitP99()));
                m.put("cluster_visible_p99_ms_at_10k", jsonMs(c.visibleP99()));
                List<Map<String, Object>> cs = new ArrayList<>();
                for (Step st : c.steps()) {
                    Map<String, Object> x = new LinkedHashMap<>();
                    x.put("rate", Math.round(st.rate()));
                    x.put("produced_per_s", Math.round(st.produced()));
                    x.put("stored_per_s", Math.round(st.stored()));
                    x.put("sustained", st.sustained());
                    x.put("cpu_us_per_metric", jsonNumber(st.cpuMicros()));
                    cs.add(x);
                }
                m.put("cluster_steps", cs);
            });
            m.put("series", series);
            m.put("compression", compression);
            m.put("machine", BenchOutput.machine());
            m.put("at", Instant.now().toString());
            return m;
        }

        /** A latency for the JSON: null when nothing was measured. */
        private static Double jsonMs(double v) {
            return jsonNumber(v);
        }

        /** A measured figure for the JSON: null when it was not measured. */
        private static Double jsonNumber(double v) {
            return Double.isNaN(v) ? null : BenchOutput.round3(v);
        }
    }

    /**
     * The value at {@code percentile} of {@code h}, or NaN when it holds nothing (HdrHistogram
     * answers 0 then, which would read as the best result instead of none).
     */
    static double percentile(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile);
    }

    /** A latency in ms for the table: "none measured" for NaN. */
    static String ms(double v) {
        return Double.isNaN(v) ? "none measured" : String.format(Locale.ROOT, "%.1f", v);
    }

    /** The same with its unit, for a progress line. */
    static String withUnit(double v) {
        return Double.isNaN(v) ? ms(v) : ms(v) + " ms";
    }

    /** See {@link CpuByPart#of}. */
    static Map<String, Double> cpuParts(CpuMeter.Usage machine, Map<String, Double> threadSecs, double metrics) {
        return CpuByPart.of(machine, threadSecs, metrics);
    }

    /** See {@link CpuByPart#describe}. */
    static String cpuByPart(Step step) {
        return CpuByPart.describe(step);
    }

    /** See {@link CpuByPart#busy}. */
    static String cpu(Step step) {
        return CpuByPart.busy(step);
    }

    /** See {@link StepSearch#spareBeforeStep}. */
    static Duration spareBeforeStep(long nowNanos, long deadline, Duration step) {
        return StepSearch.spareBeforeStep(nowNanos, deadline, step);
    }

    private E2eBench() {
    }

    public static Result run(Options o) throws Exception {
        // the steps end by then: a default run (20 s of latency) keeps to 3 minutes, with 7 s of them
        // for starting the JVM, printing, and stopping the broker and PostgreSQL (4-5 s measured)
        long deadline = System.nanoTime() + StepSearch.STEPS_END.plus(o.duration()).toNanos();
        try (BenchEnvironment env = BenchEnvironment.start(o.bootstrap())) {
            Limits limits = Limits.measure(env, o.series(), o.compression());
            Measured one = measure(env, o, deadline);
            Optional<ClusterResult> cluster = Optional.empty();
            if (o.brokers() > 1) {
                long clusterStart = System.nanoTime();
                try (BenchEnvironment c = env.withCluster(o.brokers())) {
                    BenchOutput.progress("the same pipeline on " + o.brokers() + " brokers (replicated 3 times,"
                            + " min.insync.replicas 2, acks=all)");
                    // fresh broker JVMs: their JIT compiler, not replication, would set the first latencies
                    double producer = Limits.clusterProducer(c, o.series(), o.compression());
                    // as long as the one-broker run had for its latency phase and steps
                    Measured many = measure(c, o, clusterStart + StepSearch.STEPS_END.plus(o.duration()).toNanos());
                    cluster = Optional.of(new ClusterResult(o.brokers(), many.sustained(), many.commitP50(),
                            many.commitP99(), many.visibleP99(), many.steps(), producer));
                }
            }
            Result r = new Result(one.sustained(), limits.rawCopy(), limits.producer(), limits.consumer(), o.rate(),
                    one.commitP50(), one.commitP95(), one.commitP99(), one.visibleP50(), one.visibleP99(), one.steps(),
                    o.series(), o.compression(), one.holdUps(), cluster);
            E2eReport.print(r);
            if (o.json() != null) {
                BenchOutput.writeJson(o.json(), r.json());
            }
            return r;
        }
    }

    /** The pipeline on {@code env}'s broker(s): latency at {@code o.rate()}, then the rate search until {@code deadline}. */
    static Measured measure(BenchEnvironment env, Options o, long deadline) throws Exception {
        try (Pipeline pipeline = Pipeline.start(env)) {
            LatencyPhase.Latency latency = LatencyPhase.run(pipeline, o);
            StepSearch.Found found = StepSearch.run(pipeline, o, deadline);
            return new Measured(found.sustained(), latency.commitP50(), latency.commitP95(), latency.commitP99(),
                    latency.visibleP50(), latency.visibleP99(), found.steps(), latency.holdUps());
        }
    }
}
