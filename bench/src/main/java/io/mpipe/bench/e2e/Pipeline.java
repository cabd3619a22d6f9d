package io.mpipe.bench.e2e;

import io.mpipe.bench.BenchEnvironment;
import io.mpipe.bench.BenchOutput;
import io.mpipe.collector.CollectorConfig;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.exporter.ExporterApp;
import io.mpipe.exporter.ExporterConfig;
import io.mpipe.sink.SinkApp;
import io.mpipe.sink.SinkConfig;
import io.mpipe.sink.batch.Batch;
import io.mpipe.sink.copy.WriteResult;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;

/**
 * The pipeline under test on a bench environment's broker(s) and PostgreSQL: a sink and an
 * exporter consuming a fresh topic (a collector is started per phase, {@link #collectorConfig}),
 * with the counters the phases read and the produce-to-commit latency of every row committed while
 * {@link #measuring} is set.
 */
final class Pipeline implements AutoCloseable {
    final BenchEnvironment env;
    final String topic;
    final SinkApp sink;
    final ExporterApp exporter;
    final CollectorRegistry sinkRegistry = new CollectorRegistry();
    /** Produce to committed row, in ms, of every row committed while {@link #measuring}. */
    final Histogram commits = new Histogram(3_600_000L, 3);
    final AtomicBoolean measuring = new AtomicBoolean();

    private Pipeline(BenchEnvironment env) throws Exception {
        this.env = env;
        this.topic = "e2e-" + System.currentTimeMillis();
        env.createTopics(topic);
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
        this.sink = SinkApp.start(sc, sinkRegistry, (Batch b, WriteResult r) -> {
            if (measuring.get()) {
                long committed = r.committedAtMs();
                for (int i = 0; i < b.size(); i++) {
                    commits.recordValue(Math.max(0, committed - b.timestamp(i)));
                }
            }
        });
        ExporterApp started;
        try {
            started = ExporterApp.start(ec, new CollectorRegistry());
        } catch (Exception | Error e) {
            sink.close();
            throw e;
        }
        this.exporter = started;
    }

    /** Starts the sink and the exporter and waits until both consume. */
    static Pipeline start(BenchEnvironment env) throws Exception {
        Pipeline p = new Pipeline(env);
        try {
            waitFor(() -> p.exporter.isReady() && p.sink.loop().assignedPartitions() > 0, Duration.ofMinutes(2));
            return p;
        } catch (Exception | Error e) {
            p.close();
            throw e;
        }
    }

    /** A collector of synthetic metrics at {@code rate} (none at 0) into {@code topic}. */
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

    /** A collector into this pipeline's topic. */
    CollectorConfig collector(double rate, int series, String compression) {
        return collectorConfig(env, topic, rate, series, compression);
    }

    static double produced(CollectorRegistry collector) {
        return BenchOutput.sample(collector, "collector_records_produced_total");
    }

    /** Rows the sink committed older than a row it had committed before. */
    double outOfOrder() {
        return BenchOutput.sample(sinkRegistry, "sink_rows_out_of_order_total");
    }

    double stored() {
        return BenchOutput.sample(sinkRegistry, "sink_rows_written_total");
    }

    /** The exporter's processed counter, read directly: collecting its registry would render the store. */
    double exported() {
        return exporter.metrics().processed.get();
    }

    /** Waits until neither the sink nor the exporter takes in anything more (at most {@code max}). */
    void drain(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        double last = -1;
        while (System.nanoTime() < deadline) {
            double now = stored() + exported();
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

    @Override
    public void close() {
        try {
            exporter.close();
        } finally {
            sink.close();
        }
    }
}
