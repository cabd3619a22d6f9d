package io.mpipe.bench.e2e;

import io.mpipe.bench.BenchEnvironment;
import io.mpipe.bench.BenchOutput;
import io.mpipe.bench.replay.ReplayBench;
import io.mpipe.bench.sink.SinkBench;
import io.mpipe.bench.sink.SyntheticRows;
import io.mpipe.collector.CollectorConfig;
import io.mpipe.common.metric.Metric;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The limits of the machine, measured with the same rows as the pipeline: the producer alone, the
 * consumer alone, raw binary COPY of the same rows into the same schema.
 */
record Limits(double producer, double consumer, double rawCopy) {
    private static final int ROWS = 500_000;
    private static final int WARM_UP_ROWS = ReplayBench.PRODUCER_WARM_UP;

    /**
     * Measures the limits in a method of their own, so the half million rows they use are garbage
     * before the pipeline runs (held, they would lengthen every collection pause it sees).
     */
    static Limits measure(BenchEnvironment env, int series, String compression) throws Exception {
        SyntheticRows rows = new SyntheticRows(ROWS, series);
        List<Metric> metrics = metrics(rows);
        String topic = "e2e-limits-" + System.currentTimeMillis();
        env.createTopics(topic);
        CollectorConfig config = Pipeline.collectorConfig(env, topic, 0, series, compression);
        BenchOutput.progress("limit 1/3: the producer alone (after a warm-up of 200,000 records)");
        double producer = ReplayBench.producerAloneWarm(config, topic, metrics);
        BenchOutput.progress(String.format("producer alone: %,.0f records/s", producer));
        BenchOutput.progress("limit 2/3: the consumer alone");
        double consumer = consumeAll(env, topic, ROWS + WARM_UP_ROWS);
        BenchOutput.progress(String.format("consumer alone: %,.0f records/s", consumer));
        SinkBench.rawCopy(env, rows, 20_000, "limit 3/3 warm-up: raw binary COPY, not reported");
        double raw = SinkBench.rawCopy(env, rows, 20_000, "limit 3/3: raw binary COPY of the same rows");
        BenchOutput.progress(String.format("raw binary COPY: %,.0f rows/s", raw));
        return new Limits(producer, consumer, raw);
    }

    /**
     * The producer alone against a cluster, as {@link #measure} measures it against one broker
     * (after the same warm-up, which also warms the brokers' JVMs), then the consumer over what it
     * wrote.
     */
    static double clusterProducer(BenchEnvironment env, int series, String compression) throws Exception {
        List<Metric> metrics = metrics(new SyntheticRows(ROWS, series));
        String topic = "e2e-cluster-limits-" + System.currentTimeMillis();
        env.createTopics(topic);
        CollectorConfig config = Pipeline.collectorConfig(env, topic, 0, series, compression);
        BenchOutput.progress("the cluster's producer alone (after a warm-up of 200,000 records)");
        double producer = ReplayBench.producerAloneWarm(config, topic, metrics);
        BenchOutput.progress(String.format("producer alone, %s: %,.0f records/s", "replicated 3 times", producer));
        consumeAll(env, topic, ROWS + WARM_UP_ROWS);
        return producer;
    }

    private static List<Metric> metrics(SyntheticRows rows) {
        List<Metric> metrics = new ArrayList<>(ROWS);
        for (int i = 0; i < ROWS; i++) {
            metrics.add(rows.metric(i));
        }
        return metrics;
    }

    /** Records a second one consumer reads {@code expected} records of the topic at. */
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
}
