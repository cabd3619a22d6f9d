package io.mpipe.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.WireFormat;
import io.mpipe.embedded.EmbeddedPostgres;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PostgreSQL stopped for more than 10 s during a load, then started again. */
@WithKafka
class SinkPostgresOutageIT {

    private static long count(EmbeddedPostgres pg, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), "postgres", "");
                Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void shouldDeliverEveryRowOnceAfterTheDatabaseComesBackWithoutExiting(TestKafka kafka, @TempDir Path dir)
            throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.create(dir.resolve("pg"), true, 0);
        pg.start();
        try {
            String topic = kafka.newTopic("sink-outage", 4);
            SinkConfig config = SinkConfig.load(ConfigSource.parse(SinkFixtures.yaml(kafka.bootstrapServers(),
                    pg.jdbcUrl("postgres"), "postgres", topic, kafka.newGroup("sink-outage"), null), Map.of()));
            List<Metric> sent = SinkFixtures.metrics(60_000, 600, "sink_outage");
            CollectorRegistry registry = new CollectorRegistry();
            try (SinkApp sink = SinkApp.start(config, registry)) {
                AtomicInteger produced = new AtomicInteger();
                Thread producer = new Thread(() -> {
                    try (KafkaProducer<byte[], byte[]> p = SinkFixtures.producer(kafka.bootstrapServers())) {
                        for (Metric m : sent) {
                            p.send(WireFormat.record(topic, m));
                            if (produced.incrementAndGet() % 1_000 == 0) {
                                Thread.sleep(250); // 4,000 a second for 15 s
                            }
                        }
                        p.flush();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                producer.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> count(pg, "SELECT count(*) FROM metrics") > 0);

                pg.stop();
                long stoppedAt = System.nanoTime();
                await().atMost(Duration.ofSeconds(30)).until(() -> !sink.loop().databaseUp());
                Thread.sleep(Math.max(0, 11_000 - (System.nanoTime() - stoppedAt) / 1_000_000));
                assertThat(sink.loop().isRunning()).as("the sink keeps running while the database is away").isTrue();
                assertThat(registry.getSampleValue("sink_up")).isZero();
                pg.start();

                producer.join(60_000);
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() ->
                        count(pg, "SELECT count(*) FROM metrics") >= sent.size());
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        count(pg, "SELECT coalesce(sum(next_offset), 0) FROM sink_offsets") == sent.size());
                assertThat(sink.loop().isRunning()).isTrue();
                assertThat(registry.getSampleValue("sink_retries_total")).isPositive();
                await().atMost(Duration.ofSeconds(10)).until(() -> registry.getSampleValue("sink_up") == 1.0);
            }
            assertThat(count(pg, "SELECT count(*) FROM metrics")).isEqualTo(sent.size());
            assertThat(count(pg, "SELECT count(DISTINCT (series_id, ts)) FROM samples")).isEqualTo(sent.size());
        } finally {
            pg.close();
        }
    }
}
