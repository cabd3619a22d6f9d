package io.mpipe.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.WireFormat;
import io.mpipe.testsupport.TestDatabase;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.mpipe.testsupport.WithPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills sink processes with SIGKILL at random points during a load, restarts them, and checks that
 * in the end every record is stored exactly once.
 */
@WithKafka
@WithPostgres
class SinkCrashIT {
    private static final int RECORDS = 200_000;
    private static final int KILLS = 5;

    private record Running(Process process, int port) {
    }

    private static Running startSink(Path config) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                SinkProcessMain.class.getName(), config.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("READY port=")) {
                int port = Integer.parseInt(line.substring("READY port=".length()).trim());
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // keep the pipe from filling
                        }
                    } catch (Exception ignored) {
                        // the process died
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return new Running(p, port);
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("sink process did not start; last line: " + line);
    }

    @Test
    void shouldStoreEveryRecordExactlyOnceThoughTheSinkIsKilledRepeatedlyDuringTheLoad(TestKafka kafka,
            TestDatabase db, @TempDir Path dir) throws Exception {
        String topic = kafka.newTopic("sink-crash", 4);
        Path config = dir.resolve("sink.yaml");
        Files.writeString(config, SinkFixtures.yaml(kafka.bootstrapServers(), db.jdbcUrl(), db.user(), topic,
                kafka.newGroup("sink-crash"), """
                          consumer-properties:
                            # a killed member leaves the group after this, not the default 45 s
                            session.timeout.ms: 6000
                            heartbeat.interval.ms: 1000
                        """));
        List<Metric> sent = SinkFixtures.metrics(RECORDS, 2_000, "sink_crash");

        AtomicInteger produced = new AtomicInteger();
        Thread producer = new Thread(() -> {
            try (KafkaProducer<byte[], byte[]> p = SinkFixtures.producer(kafka.bootstrapServers())) {
                for (Metric m : sent) {
                    p.send(WireFormat.record(topic, m));
                    // about 20,000 records a second, so the kills land during the load
                    if (produced.incrementAndGet() % 2_000 == 0) {
                        Thread.sleep(100);
                    }
                }
                p.flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "crash-producer");
        producer.start();

        Random random = new Random(1234);
        int kills = 0;
        for (int i = 0; i < KILLS; i++) {
            Running sink = startSink(config);
            Thread.sleep(1_000 + random.nextInt(3_000));
            sink.process().destroyForcibly();
            assertThat(sink.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            kills++;
        }
        producer.join(120_000);
        assertThat(produced.get()).isEqualTo(RECORDS);
        long storedBeforeFinal = SinkFixtures.rows(db);
        assertThat(storedBeforeFinal).as("the killed sinks made progress").isPositive().isLessThan(RECORDS);

        Running last = startSink(config);
        try {
            SinkFixtures.awaitRows(db, RECORDS, Duration.ofSeconds(120));
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    db.queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets") == RECORDS);
            // the stored offsets were exact: the final sink never re-read a committed record
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + last.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("sink_duplicate_rows_total 0.0");
        } finally {
            last.process().destroy();
            last.process().waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(kills).isEqualTo(KILLS);
        assertThat(SinkFixtures.rows(db)).isEqualTo(RECORDS);
        assertThat(SinkFixtures.stored(db)).isEqualTo(new HashSet<>(sent));
        assertThat(db.queryLong("SELECT count(*) FROM (SELECT series_id, ts FROM samples GROUP BY 1, 2 "
                + "HAVING count(*) > 1) d")).isZero();
    }
}
