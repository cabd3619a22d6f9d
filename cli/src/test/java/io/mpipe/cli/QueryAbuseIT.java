package io.mpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.WireFormat;
import io.mpipe.embedded.FreePorts;
import io.mpipe.testsupport.TestData;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Query abuse against an exporter started as users start it ({@code bin/pipeline exporter}), in a
 * JVM of 256 MB holding 100,000 series: 200 clients asking worst-case queries (every series,
 * {@code limit=10000}, all of time) at once while records keep arriving. The exporter must not run
 * out of memory, {@code /health} must answer within a second throughout, and the store must go on
 * taking records at more than half the rate it takes them unloaded.
 */
@WithKafka
class QueryAbuseIT {
    private static final int SERIES = 100_000;
    private static final int NAMES = 100; // 1,000 series a name: the most one query may match
    private static final int CLIENTS = 200;
    private static final Duration PHASE = Duration.ofSeconds(10);
    /** Records a second offered once every series is in: well within what the exporter takes unloaded. */
    private static final double OFFERED_PER_SECOND = 50_000;

    @Test
    void shouldKeepIngestingAndAnsweringHealthUnderTwoHundredWorstCaseQueries(TestKafka kafka, @TempDir Path dir)
            throws Exception {
        String topic = kafka.newTopic("abuse", 6);
        String appId = kafka.newGroup("abuse-exporter");
        int port = FreePorts.next();
        Path config = dir.resolve("exporter.yaml");
        Files.writeString(config, """
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                exporter:
                  application-id: %s
                  state-dir: %s
                  rebuild-on-start: false
                  http:
                    port: %d
                lag:
                  enabled: false
                """.formatted(kafka.bootstrapServers(), topic, appId, dir.resolve("state"), port));
        Path out = dir.resolve("exporter.out");
        ProcessBuilder pb = new ProcessBuilder(TestData.repoRoot().resolve("bin").resolve("pipeline").toString(),
                "exporter", "--config", config.toString());
        pb.environment().put("PIPELINE_JAVA_OPTS", "-Xmx256m -XX:+ExitOnOutOfMemoryError -XX:+UseG1GC");
        pb.redirectErrorStream(true).redirectOutput(out.toFile());
        String base = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        AtomicBoolean producing = new AtomicBoolean(true);
        Thread producer = new Thread(() -> produce(kafka, topic, producing), "abuse-producer");
        producer.start();
        Process exporter = pb.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && seriesHeld(http, base) < SERIES) {
                assertThat(exporter.isAlive()).as("exporter exited; see %s", out).isTrue();
                Thread.sleep(500);
            }
            assertThat(seriesHeld(http, base)).isEqualTo(SERIES);

            double unloaded = ingestRate(kafka, appId, PHASE);

            AtomicBoolean querying = new AtomicBoolean(true);
            Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
            AtomicLong healthWorstMs = new AtomicLong();
            LongAdder healthChecks = new LongAdder();
            Thread health = new Thread(() -> {
                while (querying.get()) {
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(base + "/health"))
                                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() != 200) {
                            healthWorstMs.set(Long.MAX_VALUE);
                        }
                    } catch (Exception e) {
                        healthWorstMs.set(Long.MAX_VALUE);
                    }
                    healthWorstMs.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                    healthChecks.increment();
                    sleep(100);
                }
            }, "abuse-health");
            List<Thread> clients = new ArrayList<>();
            String[] worst = {
                "/api/v1/metrics?label=job=abuse&from=0&limit=10000", // every series: refused by max-series
                "/api/v1/metrics/account?key=job&value=abuse&from=0&limit=10000",
                "/api/v1/metrics?name=abuse_m_7&from=0&limit=10000", // 1,000 series: answered in full
                "/api/v1/metrics?name=abuse_m_42&label=job=abuse&from=0&to=" + Long.MAX_VALUE / 2 + "&limit=10000",
            };
            for (int i = 0; i < CLIENTS; i++) {
                String path = worst[i % worst.length];
                Thread t = new Thread(() -> {
                    while (querying.get()) {
                        int status;
                        try {
                            status = http.send(HttpRequest.newBuilder(URI.create(base + path))
                                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding())
                                    .statusCode();
                        } catch (Exception e) {
                            status = -1;
                        }
                        statuses.computeIfAbsent(status, k -> new LongAdder()).increment();
                        if (status == 503) {
                            sleep(100);
                        }
                    }
                }, "abuse-client-" + i);
                clients.add(t);
            }
            health.start();
            clients.forEach(Thread::start);
            sleep(1_000); // the storm is on
            double loaded = ingestRate(kafka, appId, PHASE);
            querying.set(false);
            for (Thread t : clients) {
                t.join(40_000);
            }
            health.join(10_000);

            String log = Files.readString(out, StandardCharsets.UTF_8);
            System.out.printf("query abuse: ingest %.0f records/s unloaded, %.0f with %d clients (%.2f); /health worst"
                    + " %d ms over %d checks; answers by status %s%n", unloaded, loaded, CLIENTS, loaded / unloaded,
                    healthWorstMs.get(), healthChecks.sum(), statuses);
            assertThat(exporter.isAlive()).as("the exporter is still running").isTrue();
            assertThat(log).doesNotContain("OutOfMemoryError");
            assertThat(healthWorstMs.get()).as("slowest /health, ms").isLessThan(1_000);
            assertThat(loaded).as("ingest under load against %.0f unloaded", unloaded).isGreaterThan(unloaded / 2);
            assertThat(statuses.getOrDefault(200, new LongAdder()).sum()).as("queries answered").isPositive();
            assertThat(statuses.getOrDefault(400, new LongAdder()).sum()).as("queries refused for max-series")
                    .isPositive();
            assertThat(statuses.keySet()).as("every answer is 200, 400 or 503").isSubsetOf(200, 400, 503);
        } finally {
            producing.set(false);
            producer.join(30_000);
            exporter.destroy();
            if (!exporter.waitFor(30, TimeUnit.SECONDS)) {
                exporter.destroyForcibly();
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every series once, then samples of them as fast as the producer goes, until told to stop. */
    private static void produce(TestKafka kafka, String topic, AtomicBoolean producing) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            Labels[] labels = new Labels[SERIES];
            for (int s = 0; s < SERIES; s++) {
                labels[s] = Labels.of("job", "abuse", "instance", "i" + s);
            }
            long start = System.nanoTime();
            for (long i = 0; producing.get(); i++) {
                int s = (int) (i % SERIES);
                producer.send(WireFormat.record(topic, new Metric("abuse_m_" + (s % NAMES),
                        System.currentTimeMillis(), i, labels[s])));
                if (i > SERIES && i % 1_000 == 0) {
                    // a steady offered load after the first round of every series
                    long due = start + (long) ((i - SERIES) * 1e9 / OFFERED_PER_SECOND);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        sleep(wait / 1_000_000);
                    }
                } else if (i == SERIES) {
                    start = System.nanoTime();
                }
            }
        }
    }

    private static long seriesHeld(HttpClient http, String base) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/storage/stats"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return -1;
            }
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).get("metric_count").asLong();
        } catch (Exception e) {
            return -1;
        }
    }

    /** Records the exporter's group committed per second over {@code phase} (it commits every second). */
    private static double ingestRate(TestKafka kafka, String appId, Duration phase) throws Exception {
        try (Admin admin = kafka.admin()) {
            long t0 = System.nanoTime();
            long c0 = committed(admin, appId);
            Thread.sleep(phase.toMillis());
            long c1 = committed(admin, appId);
            return (c1 - c0) / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static long committed(Admin admin, String group) throws Exception {
        long sum = 0;
        for (OffsetAndMetadata o : admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS).values()) {
            if (o != null) {
                sum += o.offset();
            }
        }
        return sum;
    }
}
