package io.mpipe.bench.replay;

import io.mpipe.bench.BenchEnvironment;
import io.mpipe.bench.BenchOutput;
import io.mpipe.collector.CollectorApp;
import io.mpipe.collector.CollectorConfig;
import io.mpipe.collector.CollectorMetrics;
import io.mpipe.collector.publish.MetricPublisher;
import io.mpipe.collector.replay.ReplayOptions;
import io.mpipe.collector.replay.Replayer;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricJson;
import io.mpipe.common.wire.WireFormat;
import io.prometheus.client.CollectorRegistry;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code bench replay}: replay records/s from a JSON-lines file (read, parse, validate, publish),
 * beside the Kafka producer alone sending the same records already encoded, with the same
 * producer settings, in the same run: after a warm-up of each, three rounds of the two in turn,
 * the median of each reported.
 */
public final class ReplayBench {
    /** Rounds of each; the medians are reported. */
    static final int ROUNDS = 3;
    /** Records the producer-alone phase builds up front and sends in turn. */
    static final int PRODUCER_POOL = 20_000;

    /** Options of a run. */
    public record Options(int records, int series, String bootstrap, Path json) {
    }

    /** Results. */
    public record Result(double replayRecordsPerS, double producerRecordsPerS, int records) {
        public double ratio() {
            return replayRecordsPerS / producerRecordsPerS;
        }

        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("replay_records_per_s", Math.round(replayRecordsPerS));
            m.put("producer_records_per_s", Math.round(producerRecordsPerS));
            m.put("ratio", BenchOutput.round3(ratio()));
            m.put("records", records);
            m.put("machine", BenchOutput.machine());
            m.put("at", Instant.now().toString());
            return m;
        }
    }

    private ReplayBench() {
    }

    public static Result run(Options o) throws Exception {
        Path dir = Files.createTempDirectory("mpipe-bench-replay-");
        Path file = dir.resolve("metrics.jsonl");
        BenchOutput.progress("writing " + o.records() + " records to " + file);
        List<Metric> metrics = new ArrayList<>(o.records());
        long start = System.currentTimeMillis() - 3_600_000L;
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < o.records(); i++) {
                int s = i % o.series();
                Metric m = new Metric("bench_replayed_value", start + (i / o.series()) * 1000L, i * 0.5,
                        Labels.of("host", "host-" + s, "region", "region-" + (s % 8)));
                metrics.add(m);
                w.write(MetricJson.encodeToString(m));
                w.newLine();
            }
        }
        try (BenchEnvironment env = BenchEnvironment.start(o.bootstrap())) {
            CollectorConfig config = CollectorConfig.load(ConfigSource.parse(
                    "kafka:\n  bootstrap-servers: " + env.bootstrapServers() + "\n", Map.of()));
            String suffix = "-" + System.currentTimeMillis();
            List<String> topics = new ArrayList<>();
            for (int i = 0; i < 2 + 2 * ROUNDS; i++) {
                topics.add("bench-" + i + suffix);
            }
            env.createTopics(topics.toArray(String[]::new));
            BenchOutput.progress("warm-up: the producer and a replay, not reported");
            producerAlone(config, topics.get(0), metrics.subList(0, Math.min(metrics.size(), 300_000)));
            replay(config, topics.get(1), file);
            // the two alternate, so a slow spell of a shared machine weighs on both alike
            double[] producerRates = new double[ROUNDS];
            double[] replayRates = new double[ROUNDS];
            for (int i = 0; i < ROUNDS; i++) {
                producerRates[i] = producerAlone(config, topics.get(2 + 2 * i), metrics);
                replayRates[i] = replay(config, topics.get(3 + 2 * i), file);
                BenchOutput.progress(String.format("round %d/%d: producer alone %,.0f records/s, replay %,.0f records/s",
                        i + 1, ROUNDS, producerRates[i], replayRates[i]));
            }
            double producer = median(producerRates);
            double replay = median(replayRates);
            Result r = new Result(replay, producer, o.records());
            List<String[]> t = new ArrayList<>();
            t.add(new String[] {"replay (read, parse, validate, publish)", BenchOutput.num(replay), "records/s, median of " + ROUNDS});
            t.add(new String[] {"producer alone (same records, encoded)", BenchOutput.num(producer), "records/s, median of " + ROUNDS});
            t.add(new String[] {"ratio", String.format("%.2f", r.ratio()), "goal >= 0.7"});
            BenchOutput.table(String.format("bench replay: %,d records of JSON lines, %,d series", o.records(),
                    o.series()), t);
            if (o.json() != null) {
                BenchOutput.writeJson(o.json(), r.json());
            }
            return r;
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    static double median(double[] xs) {
        double[] sorted = xs.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** Records a producer-alone run is warmed up with ({@link #producerAloneWarm}). */
    public static final int PRODUCER_WARM_UP = 200_000;

    /**
     * The producer alone ({@link #producerAlone}) after a warm-up on the first
     * {@value #PRODUCER_WARM_UP} of the same metrics, sent to the same topic first.
     */
    public static double producerAloneWarm(CollectorConfig config, String topic, List<Metric> metrics)
            throws Exception {
        // a cold producer in a fresh JVM measures the JIT compiler, not the producer
        producerAlone(config, topic, metrics.subList(0, Math.min(metrics.size(), PRODUCER_WARM_UP)));
        return producerAlone(config, topic, metrics);
    }

    /**
     * The producer alone: as many sends as there are {@code metrics}, of records built before the
     * clock starts. It cycles through the first {@link #PRODUCER_POOL} of them: a million records
     * built at once and kept until sent would make the garbage collector's work on them part of
     * what is timed, which a producer does not have to do.
     *
     * <p>At most {@code max-buffered-records} are unacknowledged at a time, as in the collector.
     * The acknowledgements only count (the producer's I/O thread adds one a record); the sending
     * thread, when it has that many out, sleeps a little and looks again. A semaphore released per
     * acknowledgement woke the parked sender once per record, which the profile showed as most of
     * the I/O thread's time, and which measured the wake-ups more than the producer.
     */
    public static double producerAlone(CollectorConfig config, String topic, List<Metric> metrics) throws Exception {
        int pool = Math.min(metrics.size(), PRODUCER_POOL);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(pool);
        for (Metric m : metrics.subList(0, pool)) {
            records.add(WireFormat.replayRecord(topic, m, "metrics.jsonl"));
        }
        int maxOut = config.producer().maxBuffered();
        LongAdder acked = new LongAdder();
        LongAdder failed = new LongAdder();
        Callback ack = (md, e) -> {
            if (e != null) {
                failed.increment();
            }
            acked.increment();
        };
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(CollectorApp.producerProps(config, "bench-producer"),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < metrics.size(); i++) {
                while (i - acked.sum() >= maxOut) {
                    LockSupport.parkNanos(50_000);
                }
                p.send(records.get(i % pool), ack);
            }
            p.flush();
        }
        double rate = metrics.size() / ((System.nanoTime() - t0) / 1e9);
        if (failed.sum() > 0) {
            throw new IllegalStateException("the producer alone: " + failed.sum() + " of " + metrics.size()
                    + " records were not delivered");
        }
        return rate;
    }

    static double replay(CollectorConfig config, String topic, Path file) throws Exception {
        long t0 = System.nanoTime();
        Replayer.Summary s;
        try (MetricPublisher publisher = new MetricPublisher(new KafkaProducer<>(CollectorApp.producerProps(config,
                "bench-replay"), new ByteArraySerializer(), new ByteArraySerializer()), topic,
                config.producer().maxBuffered(), new CollectorMetrics(new CollectorRegistry()))) {
            s = new Replayer(ReplayOptions.detect(), 0).run(List.of(file), publisher, (a, b, c, d) -> { });
        }
        if (s.sent() != s.read()) {
            throw new IllegalStateException("replay sent " + s.sent() + " of " + s.read() + " records");
        }
        return s.sent() / ((System.nanoTime() - t0) / 1e9);
    }
}
