package io.mpipe.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.bench.BenchEnvironment;
import io.mpipe.bench.BenchHttp;
import io.mpipe.bench.BenchOutput;
import io.mpipe.bench.CpuMeter;
import io.mpipe.bench.PauseWatch;
import io.mpipe.bench.ThreadCpu;
import io.mpipe.bench.replay.ReplayBench;
import io.mpipe.bench.sink.SinkBench;
import io.mpipe.bench.sink.SyntheticRows;
import io.mpipe.collector.CollectorApp;
import io.mpipe.collector.CollectorConfig;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.metric.Metric;
import io.mpipe.exporter.ExporterApp;
import io.mpipe.exporter.ExporterConfig;
import io.mpipe.exporter.query.MetricsQuery;
import io.mpipe.sink.SinkApp;
import io.mpipe.sink.SinkConfig;
import io.mpipe.sink.batch.Batch;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code bench e2e}: the whole pipeline at a fixed rate (synthetic collector into the sink and the
 * exporter), with latency from produce to committed row and to visible in the query API, then a
 * step search for the highest rate at which the sink keeps up; and in the same run the limits of
 * the machine: the producer alone, the consumer alone, raw binary COPY of the same rows into the
 * same schema. Everything on one machine, broker and database included.
 */
public final class E2eBench {
    private static final ObjectMapper JSON = new ObjectMapper();

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
     * @param cpuByPart        the machine's CPU per metric by part ({@link #cpuParts}), in µs; empty
     *                         where not measured
     */
    public record Step(double rate, double produced, double stored, long backlog, double exported,
            long exporterBacklog, boolean sustained, double jitBusy, double outOfOrder, double machineBusy,
            double cpuMicros, double jvmCpuMicros, Map<String, Double> cpuByPart) {
    }

    /** The JSON names of the parts of a step's CPU, and what the table calls them. */
    static final Map<String, String> CPU_PARTS = cpuPartLabels();

    private static Map<String, String> cpuPartLabels() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String part : ThreadCpu.PARTS) {
            m.put(part, part);
        }
        m.put("jvm_other", "GC, JIT and VM");
        m.put("outside_jvm", "outside this JVM (PostgreSQL, the kernel, the rest of the host)");
        return m;
    }

    /**
     * The machine's CPU per metric by part: each part's threads in this JVM, what the JVM spent
     * outside them, and what the machine spent outside the JVM; empty when the machine or the JVM
     * does not say. Every part is per metric produced in the step: at a step the consumers kept up
     * with that is what they took in; at one they fell behind in, they took in fewer, and their
     * parts read low.
     */
    static Map<String, Double> cpuParts(CpuMeter.Usage machine, Map<String, Double> threadSecs, double metrics) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (Double.isNaN(machine.cpuSecs()) || Double.isNaN(machine.jvmSecs()) || metrics <= 0) {
            return out;
        }
        double threads = 0;
        for (Map.Entry<String, Double> e : threadSecs.entrySet()) {
            out.put(e.getKey(), e.getValue() * 1e6 / metrics);
            threads += e.getValue();
        }
        out.put("jvm_other", Math.max(0, machine.jvmSecs() - threads) * 1e6 / metrics);
        out.put("outside_jvm", Math.max(0, machine.cpuSecs() - machine.jvmSecs()) * 1e6 / metrics);
        return out;
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
            java.util.Optional<ClusterResult> cluster) {
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

    /** When the last step must end, from the start of the run, not counting {@code --duration}. */
    static final Duration STEPS_END = Duration.ofSeconds(153);
    /**
     * Starting and stopping a step's collector, beyond the step's length: its producer's set-up,
     * and at close the records it still holds (about a second of them at a rate it cannot make).
     */
    static final Duration STEP_MARGIN = Duration.ofSeconds(2);
    /** Longest wait for the consumers to finish a step's backlog. */
    static final Duration MAX_DRAIN = Duration.ofSeconds(60);

    private E2eBench() {
    }

    public static Result run(Options o) throws Exception {
        // the steps end by then: a default run (20 s of latency) keeps to 3 minutes, with 7 s of them
        // for starting the JVM, printing, and stopping the broker and PostgreSQL (4-5 s measured)
        long deadline = System.nanoTime() + STEPS_END.plus(o.duration()).toNanos();
        try (BenchEnvironment env = BenchEnvironment.start(o.bootstrap())) {
            Limits limits = limits(env, o.series(), o.compression());
            Measured one = measure(env, o, deadline);
            java.util.Optional<ClusterResult> cluster = java.util.Optional.empty();
            if (o.brokers() > 1) {
                long clusterStart = System.nanoTime();
                try (BenchEnvironment c = env.withCluster(o.brokers())) {
                    BenchOutput.progress("the same pipeline on " + o.brokers() + " brokers (replicated 3 times,"
                            + " min.insync.replicas 2, acks=all)");
                    // fresh broker JVMs: their JIT compiler, not replication, would set the first latencies
                    double producer = clusterProducer(c, o.series(), o.compression());
                    // as long as the one-broker run had for its latency phase and steps
                    Measured many = measure(c, o, clusterStart + STEPS_END.plus(o.duration()).toNanos());
                    cluster = java.util.Optional.of(new ClusterResult(o.brokers(), many.sustained(), many.commitP50(),
                            many.commitP99(), many.visibleP99(), many.steps(), producer));
                }
            }
            Result r = new Result(one.sustained(), limits.rawCopy(), limits.producer(), limits.consumer(), o.rate(),
                    one.commitP50(), one.commitP95(), one.commitP99(), one.visibleP50(), one.visibleP99(), one.steps(),
                    o.series(), o.compression(), one.holdUps(), cluster);
            print(r);
            if (o.json() != null) {
                BenchOutput.writeJson(o.json(), r.json());
            }
            return r;
        }
    }

    /**
     * The producer alone against a cluster, as {@link #limits} measures it against one broker (after
     * the same warm-up, which also warms the brokers' JVMs), then the consumer over what it wrote.
     */
    static double clusterProducer(BenchEnvironment env, int series, String compression) throws Exception {
        int n = 500_000;
        SyntheticRows rows = new SyntheticRows(n, series);
        List<Metric> metrics = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            metrics.add(rows.metric(i));
        }
        String topic = "e2e-cluster-limits-" + System.currentTimeMillis();
        env.createTopics(topic);
        CollectorConfig config = collectorConfig(env, topic, 0, series, compression);
        BenchOutput.progress("the cluster's producer alone (after a warm-up of 200,000 records)");
        ReplayBench.producerAlone(config, topic, metrics.subList(0, 200_000));
        double producer = ReplayBench.producerAlone(config, topic, metrics);
        BenchOutput.progress(String.format("producer alone, %s: %,.0f records/s", "replicated 3 times", producer));
        consumeAll(env, topic, n + 200_000);
        return producer;
    }

    /** The pipeline on {@code env}'s broker(s): latency at {@code o.rate()}, then the rate search until {@code deadline}. */
    static Measured measure(BenchEnvironment env, Options o, long deadline) throws Exception {
        // the pipeline
        String topic = "e2e-" + System.currentTimeMillis();
        env.createTopics(topic);
        Histogram commits = new Histogram(3_600_000L, 3);
        AtomicBoolean measuring = new AtomicBoolean();
        CollectorRegistry sinkRegistry = new CollectorRegistry();
        SinkConfig sc = SinkConfig.load(ConfigSource.parse("""
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                postgres:
                  url: %s
                  user: %s
                sink:
                  group: e2e-sink
                  http:
                    port: 0
                """.formatted(env.bootstrapServers(), topic, env.newDatabase("bench_e2e"), env.user()), Map.of()));
        Path state = Files.createTempDirectory("mpipe-e2e-exporter-");
        ExporterConfig ec = ExporterConfig.load(ConfigSource.parse("""
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                exporter:
                  application-id: e2e-exporter-%d
                  state-dir: %s
                  rebuild-on-start: false
                  http:
                    port: 0
                lag:
                  enabled: false
                """.formatted(env.bootstrapServers(), topic, System.currentTimeMillis(), state), Map.of()));
        CollectorRegistry exporterRegistry = new CollectorRegistry();
        try (SinkApp sink = SinkApp.start(sc, sinkRegistry, (Batch b, io.mpipe.sink.copy.WriteResult r) -> {
            if (measuring.get()) {
                long committed = r.committedAtMs();
                for (int i = 0; i < b.size(); i++) {
                    commits.recordValue(Math.max(0, committed - b.timestamp(i)));
                }
            }
        }); ExporterApp exporter = ExporterApp.start(ec, exporterRegistry)) {
            waitFor(() -> exporter.isReady() && sink.loop().assignedPartitions() > 0, Duration.ofMinutes(2));

            // latency at a fixed, moderate rate
            BenchOutput.progress(String.format("latency: %,.0f metrics/s for %d s", o.rate(),
                    o.duration().toSeconds()));
            Histogram visible = new Histogram(3_600_000L, 3);
            HoldUps holdUps = HoldUps.NONE;
            try (CollectorApp collector = CollectorApp.start(collectorConfig(env, topic, o.rate(), o.series(), o.compression()),
                    new CollectorRegistry())) {
                sleep(Duration.ofSeconds(3)); // warm-up, not measured
                CpuMeter.Reading cpu0 = CpuMeter.read();
                try (PauseWatch pauses = PauseWatch.start()) {
                    measuring.set(true);
                    probeVisible(exporter.httpBaseUrl(), o.duration(), visible);
                    measuring.set(false);
                    holdUps = new HoldUps(pauses.gcPauses(), pauses.longestGcPauseMs(), pauses.longestStallMs(),
                            CpuMeter.between(cpu0, CpuMeter.read()).steal());
                }
            }
            BenchOutput.progress(String.format("commit p99 %s, visible p99 %s; meanwhile %s",
                    withUnit(percentile(commits, 99)), withUnit(percentile(visible, 99)), holdUps));

            // warm-up near the top of the search, not judged: the code the pipeline runs at high
            // rates (bigger polls, batches and requests) is compiled by the JIT here, not
            // during the steps
            Duration stepTime = Duration.ofSeconds(15);
            warmUp(env, topic, o.series(), o.compression(), WARM_UP, sinkRegistry, exporter);

            // the highest rate the pipeline keeps up with: from 112,500/s up by half while kept
            // up (down by a third while not), then once halfway between the last rate kept up
            // with and the first one not
            List<Step> steps = new ArrayList<>();
            double sustained = 0;
            double keptUp = 0;
            double fellBehind = 0;
            double rate = 112_500;
            for (int i = 0; i < 8 && rate <= 1_000_000 && rate >= 1_000; i++) {
                if (!drainThenTimeFor(stepTime, deadline, sinkRegistry, exporter)) {
                    break;
                }
                Step step = step(env, topic, rate, o.series(), o.compression(), stepTime, sinkRegistry, exporter);
                steps.add(step);
                progress(step);
                if (step.sustained()) {
                    sustained = Math.max(sustained, step.produced());
                    keptUp = rate;
                    if (fellBehind > 0) {
                        break;
                    }
                    rate *= 1.5;
                } else {
                    fellBehind = rate;
                    if (keptUp > 0) {
                        break;
                    }
                    rate /= 1.5;
                }
            }
            if (keptUp > 0 && fellBehind > keptUp
                    && drainThenTimeFor(stepTime, deadline, sinkRegistry, exporter)) {
                double mid = (keptUp + fellBehind) / 2;
                Step step = step(env, topic, mid, o.series(), o.compression(), stepTime, sinkRegistry, exporter);
                steps.add(step);
                progress(step);
                if (step.sustained()) {
                    sustained = Math.max(sustained, step.produced());
                }
            }
            return new Measured(sustained, percentile(commits, 50), percentile(commits, 95), percentile(commits, 99),
                    percentile(visible, 50), percentile(visible, 99), steps, holdUps);
        }
    }

    /** The limits of the machine, measured with the same rows. */
    record Limits(double producer, double consumer, double rawCopy) {
    }

    /**
     * Measures the limits in a method of their own, so the half million rows they use are garbage
     * before the pipeline runs (held, they would lengthen every collection pause it sees).
     */
    static Limits limits(BenchEnvironment env, int series, String compression) throws Exception {
        int limitRows = 500_000;
        SyntheticRows rows = new SyntheticRows(limitRows, series);
        List<Metric> metrics = new ArrayList<>(limitRows);
        for (int i = 0; i < limitRows; i++) {
            metrics.add(rows.metric(i));
        }
        String limitTopic = "e2e-limits-" + System.currentTimeMillis();
        env.createTopics(limitTopic);
        CollectorConfig limitsConfig = collectorConfig(env, limitTopic, 0, series, compression);
        BenchOutput.progress("limit 1/3: the producer alone (after a warm-up of 200,000 records)");
        // a cold producer in a fresh JVM measures the JIT compiler, not the producer
        ReplayBench.producerAlone(limitsConfig, limitTopic, metrics.subList(0, 200_000));
        double producer = ReplayBench.producerAlone(limitsConfig, limitTopic, metrics);
        BenchOutput.progress(String.format("producer alone: %,.0f records/s", producer));
        BenchOutput.progress("limit 2/3: the consumer alone");
        double consumer = consumeAll(env, limitTopic, limitRows + 200_000);
        BenchOutput.progress(String.format("consumer alone: %,.0f records/s", consumer));
        SinkBench.rawCopy(env, rows, 20_000, "limit 3/3 warm-up: raw binary COPY, not reported");
        double raw = SinkBench.rawCopy(env, rows, 20_000, "limit 3/3: raw binary COPY of the same rows");
        BenchOutput.progress(String.format("raw binary COPY: %,.0f rows/s", raw));
        return new Limits(producer, consumer, raw);
    }

    /**
     * Lets the consumers finish what the last step left (for as long as a step would still fit
     * after it, at most a minute), then says whether one more step fits before {@code deadline}.
     * The wait comes first: after a step the pipeline fell behind in, it can take seconds, and a
     * step started after it must still end in time.
     */
    static boolean drainThenTimeFor(Duration step, long deadline, CollectorRegistry sinkRegistry,
            ExporterApp exporter) throws InterruptedException {
        Duration spare = spareBeforeStep(System.nanoTime(), deadline, step);
        if (!spare.isZero()) {
            drain(sinkRegistry, exporter, spare.compareTo(MAX_DRAIN) < 0 ? spare : MAX_DRAIN);
        }
        if (!spareBeforeStep(System.nanoTime(), deadline, step).isZero()) {
            return true;
        }
        BenchOutput.progress("step search stops here: its steps end by 2m33s plus --duration, so the run keeps to 3 minutes");
        return false;
    }

    /**
     * How much later than {@code nowNanos} a step could start and still end, its collector
     * stopped, before {@code deadline}; zero when it could not end in time even now.
     */
    static Duration spareBeforeStep(long nowNanos, long deadline, Duration step) {
        return Duration.ofNanos(Math.max(0, deadline - nowNanos - step.plus(STEP_MARGIN).toNanos()));
    }

    static void progress(Step step) {
        BenchOutput.progress(String.format("step %,.0f/s: produced %,.0f/s, stored %,.0f/s, backlog %,d, exported %,.0f/s,"
                + " exporter backlog %,d, JIT compiling %.0f %% of the time, rows out of time order %.0f %%, %s -> %s",
                step.rate(), step.produced(), step.stored(), step.backlog(), step.exported(), step.exporterBacklog(),
                100 * step.jitBusy(), 100 * step.outOfOrder(), cpu(step),
                step.sustained() ? "kept up" : "fell behind"));
        if (!step.cpuByPart().isEmpty()) {
            BenchOutput.progress("  its CPU a metric: " + cpuByPart(step));
        }
    }

    /** "collector 1.2 us, sink 1.0 us, ...": where a step's CPU per metric went. */
    static String cpuByPart(Step step) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> p : CPU_PARTS.entrySet()) {
            Double v = step.cpuByPart().get(p.getKey());
            if (v != null) {
                sb.append(sb.length() == 0 ? "" : ", ").append(p.getValue())
                        .append(String.format(Locale.ROOT, " %.1f us", v));
            }
        }
        return sb.toString();
    }

    /** How busy the machine was in a step, and its CPU per metric; "machine CPU not measured" where not known. */
    static String cpu(Step step) {
        if (Double.isNaN(step.machineBusy())) {
            return "machine CPU not measured";
        }
        return String.format(Locale.ROOT, "machine %.0f %% busy, CPU %.1f us a metric (%.1f in this JVM)",
                100 * step.machineBusy(), step.cpuMicros(), step.jvmCpuMicros());
    }

    static void print(Result r) {
        List<String[]> t = new ArrayList<>();
        t.add(new String[] {"sustained, whole pipeline", BenchOutput.num(r.sustained()), "metrics/s, goal >= 200,000"});
        t.add(new String[] {"  limit: raw binary COPY", BenchOutput.num(r.rawCopy()),
            String.format("rows/s (sustained = %.2f of it)", r.sustained() / r.rawCopy())});
        t.add(new String[] {"  limit: producer alone", BenchOutput.num(r.producerLimit()),
            String.format("records/s (sustained = %.2f of it)", r.sustained() / r.producerLimit())});
        t.add(new String[] {"  limit: consumer alone", BenchOutput.num(r.consumerLimit()),
            String.format("records/s (sustained = %.2f of it)", r.sustained() / r.consumerLimit())});
        String at = String.format("ms at %,.0f/s", r.latencyRate());
        t.add(new String[] {"produce to committed row, p50", ms(r.commitP50()), at});
        t.add(new String[] {"produce to committed row, p95", ms(r.commitP95()), at});
        t.add(new String[] {"produce to committed row, p99", ms(r.commitP99()), at + ", goal < 100"});
        t.add(new String[] {"produce to visible in the query API, p50", ms(r.visibleP50()), at});
        t.add(new String[] {"produce to visible in the query API, p99", ms(r.visibleP99()), at});
        t.add(new String[] {"  meanwhile", "", r.holdUps().toString()});
        for (Step s : r.steps()) {
            t.add(new String[] {String.format("  step %,.0f/s", s.rate()), String.format("%,.0f", s.stored()),
                String.format("stored/s, produced %,.0f/s, backlog %,d; exported %,.0f/s, backlog %,d; %s; %s",
                        s.produced(), s.backlog(), s.exported(), s.exporterBacklog(), cpu(s),
                        s.sustained() ? "kept up" : "fell behind")});
            if (!s.cpuByPart().isEmpty()) {
                t.add(new String[] {"    its CPU a metric", String.format(Locale.ROOT, "%.1f", s.cpuMicros()),
                    "us: " + cpuByPart(s)});
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
                ms(c.commitP50()), at});
            t.add(new String[] {String.format("on %d brokers: produce to committed row, p99", c.brokers()),
                ms(c.commitP99()), at + String.format(" (one broker: %s)", ms(r.commitP99()))});
            t.add(new String[] {String.format("on %d brokers: produce to visible, p99", c.brokers()), ms(c.visibleP99()),
                at});
            for (Step s : c.steps()) {
                t.add(new String[] {String.format("  step %,.0f/s", s.rate()), String.format("%,.0f", s.stored()),
                    String.format("stored/s, produced %,.0f/s, backlog %,d; %s; %s", s.produced(), s.backlog(), cpu(s),
                            s.sustained() ? "kept up" : "fell behind")});
            }
        });
        BenchOutput.table(String.format("bench e2e: %,d series, compression %s, broker and PostgreSQL on the same machine",
                r.series(), r.compression()),
                t);
    }

    static CollectorConfig collectorConfig(BenchEnvironment env, String topic, double rate, int series,
            String compression) {
        return CollectorConfig.load(ConfigSource.parse("""
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                collector:
                  http:
                    port: 0
                  synthetic:
                    enabled: %s
                    rate: %s
                    series: %d
                    names: 10
                    interval: 5ms
                  producer:
                    compression: %s
                """.formatted(env.bootstrapServers(), topic, rate > 0, Math.max(rate, 1), series, compression),
                Map.of()));
    }

    static double consumeAll(BenchEnvironment env, String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "e2e-consumer-limit-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(64 << 20));
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(4 << 20));
        long n = 0;
        long t0 = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (n < expected && System.nanoTime() < deadline) {
                int got = c.poll(Duration.ofMillis(200)).count();
                if (got > 0 && t0 == 0) {
                    t0 = System.nanoTime();
                }
                n += got;
            }
        }
        return n / ((System.nanoTime() - t0) / 1e9);
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
            sleep(Duration.ofMillis(10));
        }
        if (cut > 0) {
            BenchOutput.progress(String.format("visible latency: %d answers were cut at %,d samples; the probe missed"
                    + " some samples, so the visible percentiles err low", cut, max));
        }
    }

    /** Rate and length of the warm-up before the step search. */
    static final double WARM_UP_RATE = 200_000;
    static final Duration WARM_UP = Duration.ofSeconds(35);

    /**
     * Runs the collector at {@link #WARM_UP_RATE} for {@code d}, then waits for the consumers to
     * take in what it left; reports how busy the JIT compiler was ({@link #jitShare}).
     */
    static void warmUp(BenchEnvironment env, String topic, int series, String compression, Duration d, CollectorRegistry sinkRegistry,
            ExporterApp exporter) throws Exception {
        BenchOutput.progress(String.format("warm-up: %,.0f metrics/s for %d s, not judged", WARM_UP_RATE,
                d.toSeconds()));
        long jit0 = jitMillis();
        long t0 = System.nanoTime();
        try (CollectorApp c = CollectorApp.start(collectorConfig(env, topic, WARM_UP_RATE, series, compression),
                new CollectorRegistry())) {
            sleep(d);
        }
        drain(sinkRegistry, exporter, MAX_DRAIN);
        BenchOutput.progress(String.format("warm-up done; the JIT compiler was busy %.0f %% of the time",
                100 * jitShare(jit0, t0)));
    }

    /**
     * The JIT compiler threads' compile time since {@code jitMillis0} over the wall time since
     * {@code nanos0} (summed over the compiler threads, so it can pass 1).
     */
    static double jitShare(long jitMillis0, long nanos0) {
        return (jitMillis() - jitMillis0) / ((System.nanoTime() - nanos0) / 1e6);
    }

    /** Time the JIT compiler threads spent compiling so far, in ms (0 when the JVM does not say). */
    static long jitMillis() {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    /**
     * One step: the collector at {@code rate} for {@code d}; the first third is ramp, the rest is
     * measured. Kept up means the collector made the rate, and both consumers (the sink into
     * PostgreSQL, the exporter into its store) took in what came, with at most one second of it
     * waiting at the end.
     */
    static Step step(BenchEnvironment env, String topic, double rate, int series, String compression, Duration d,
            CollectorRegistry sinkRegistry, ExporterApp exporter) throws Exception {
        CollectorRegistry cr = new CollectorRegistry();
        long jit0 = jitMillis();
        long start = System.nanoTime();
        double storedBefore = stored(sinkRegistry);
        double outOfOrderBefore = outOfOrder(sinkRegistry);
        double exportedBefore = exported(exporter);
        try (CollectorApp c = CollectorApp.start(collectorConfig(env, topic, rate, series, compression), cr)) {
            sleep(d.dividedBy(3)); // ramp
            double p0 = produced(cr);
            double s0 = stored(sinkRegistry);
            double e0 = exported(exporter);
            ThreadCpu.Reading threads0 = ThreadCpu.read();
            CpuMeter.Reading cpu0 = CpuMeter.read();
            long t0 = System.nanoTime();
            sleep(d.minus(d.dividedBy(3)));
            double secs = (System.nanoTime() - t0) / 1e9;
            CpuMeter.Usage cpu = CpuMeter.between(cpu0, CpuMeter.read());
            Map<String, Double> threadSecs = ThreadCpu.between(threads0, ThreadCpu.read());
            // the consumers first: what they took in was produced before (the backlog errs high, not low)
            double s1 = stored(sinkRegistry);
            double e1 = exported(exporter);
            double p1 = produced(cr);
            double produced = (p1 - p0) / secs;
            double stored = (s1 - s0) / secs;
            double exported = (e1 - e0) / secs;
            long backlog = (long) (p1 - (s1 - storedBefore));
            long exporterBacklog = (long) (p1 - (e1 - exportedBefore));
            boolean ok = produced >= 0.95 * rate
                    && stored >= 0.97 * produced && backlog <= rate
                    && exported >= 0.97 * produced && exporterBacklog <= rate;
            double jit = jitShare(jit0, start);
            double outOfOrder = (outOfOrder(sinkRegistry) - outOfOrderBefore) / Math.max(1, s1 - storedBefore);
            double metrics = p1 - p0;
            return new Step(rate, produced, stored, backlog, exported, exporterBacklog, ok, jit, outOfOrder,
                    cpu.busy(), cpu.microsEach(metrics), cpu.jvmMicrosEach(metrics), cpuParts(cpu, threadSecs, metrics));
        }
    }

    private static double produced(CollectorRegistry collector) {
        return BenchOutput.sample(collector, "collector_records_produced_total");
    }

    /** Rows the sink committed older than a row it had committed before. */
    private static double outOfOrder(CollectorRegistry sink) {
        return BenchOutput.sample(sink, "sink_rows_out_of_order_total");
    }

    private static double stored(CollectorRegistry sink) {
        return BenchOutput.sample(sink, "sink_rows_written_total");
    }

    /** The exporter's processed counter, read directly: collecting its registry would render the store. */
    private static double exported(ExporterApp exporter) {
        return exporter.metrics().processed.get();
    }

    /** Waits until neither the sink nor the exporter takes in anything more (at most {@code max}). */
    static void drain(CollectorRegistry sinkRegistry, ExporterApp exporter, Duration max)
            throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        double last = -1;
        while (System.nanoTime() < deadline) {
            double now = stored(sinkRegistry) + exported(exporter);
            if (now == last) {
                return;
            }
            last = now;
            Thread.sleep(1000);
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier c, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not ready within " + max);
            }
            Thread.sleep(100);
        }
    }

    private static void sleep(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }
}
