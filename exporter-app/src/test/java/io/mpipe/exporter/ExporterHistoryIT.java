package io.mpipe.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.sink.schema.Migrations;
import io.mpipe.testsupport.TestDatabase;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.mpipe.testsupport.WithPostgres;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/** The history tier: PostgreSQL answers for evicted series and for time before the window. */
@WithKafka
@WithPostgres
class ExporterHistoryIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static void store(TestDatabase db, String key, String name, String labelsJson, long ts, double value)
            throws Exception {
        try (Connection c = db.connect()) {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO series (key, name, labels) VALUES (?, ?, ?::jsonb) ON CONFLICT (key) DO NOTHING")) {
                ps.setString(1, key);
                ps.setString(2, name);
                ps.setString(3, labelsJson);
                ps.executeUpdate();
            }
            c.createStatement().execute("SELECT ensure_sample_partition('samples_h_' || "
                    + "to_char(date_trunc('day', to_timestamp(" + ts / 1000 + ")), 'YYYYMMDD'), "
                    + "date_trunc('day', to_timestamp(" + ts / 1000 + ")), "
                    + "date_trunc('day', to_timestamp(" + ts / 1000 + ")) + interval '1 day')");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO samples SELECT id, ?, ? FROM series WHERE key = ?")) {
                ps.setObject(1, OffsetDateTime.ofInstant(Instant.ofEpochMilli(ts), ZoneOffset.UTC));
                ps.setDouble(2, value);
                ps.setString(3, key);
                ps.executeUpdate();
            }
        }
    }

    @Test
    void shouldAnswerEvictedSeriesAndOlderTimeFromPostgres(TestKafka kafka, TestDatabase db, @TempDir Path dir)
            throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(db.jdbcUrl());
        ds.setUser(db.user());
        Migrations.migrate(ds);
        long now = System.currentTimeMillis();
        Metric a = new Metric("hist_gauge", now - 1000, 1, Labels.of("series", "a"));
        Metric b = new Metric("hist_gauge", now - 2000, 2, Labels.of("series", "b"));
        // what the sink stored: both series, and an hour-old sample of a
        store(db, a.seriesKey(), "hist_gauge", "{\"series\": \"a\"}", a.timestamp(), a.value());
        store(db, b.seriesKey(), "hist_gauge", "{\"series\": \"b\"}", b.timestamp(), b.value());
        store(db, a.seriesKey(), "hist_gauge", "{\"series\": \"a\"}", now - 3_600_000, 0.5);

        String topic = kafka.newTopic("exp-history", 1);
        String extra = """
                  max-series: 1
                  history:
                    enabled: true
                postgres:
                  url: %s
                  user: %s
                """.formatted(db.jdbcUrl(), db.user());
        CollectorRegistry registry = new CollectorRegistry();
        try (ExporterApp app = ExporterApp.start(ExporterFixtures.config(kafka.bootstrapServers(), topic,
                kafka.newGroup("exporter"), dir, extra, Map.of()), registry)) {
            await().atMost(Duration.ofSeconds(60)).until(app::isReady);
            ExporterFixtures.produce(kafka.bootstrapServers(), topic, List.of(b, a)); // b is evicted by a
            await().atMost(Duration.ofSeconds(30)).until(() -> app.pool().stats().evictions() == 1);
            assertThat(app.pool().contains(a.seriesKey())).isTrue();

            JsonNode evicted = JSON.readTree(ExporterFixtures.get(app.httpBaseUrl()
                    + "/api/v1/metrics?name=hist_gauge&label=series=b").body());
            assertThat(evicted.get("tier").asText()).isEqualTo("postgres");
            assertThat(evicted.get("count").asInt()).isEqualTo(1);
            assertThat(evicted.get("metrics").get(0).get("value").asDouble()).isEqualTo(2.0);
            assertThat(evicted.get("metrics").get(0).get("timestamp").asLong()).isEqualTo(b.timestamp());

            JsonNode both = JSON.readTree(ExporterFixtures.get(app.httpBaseUrl() + "/api/v1/metrics?name=hist_gauge")
                    .body());
            assertThat(both.get("tier").asText()).isEqualTo("memory+postgres");
            assertThat(both.get("count").asInt()).isEqualTo(2);

            JsonNode older = JSON.readTree(ExporterFixtures.get(app.httpBaseUrl()
                    + "/api/v1/metrics?name=hist_gauge&label=series=a&from=" + (now - 7_200_000)).body());
            assertThat(older.get("count").asInt()).isEqualTo(2);
            assertThat(older.get("metrics").get(1).get("value").asDouble()).isEqualTo(0.5);
            assertThat(older.get("tier").asText()).isEqualTo("memory+postgres");
            assertThat(registry.getSampleValue("exporter_store_misses_total")).isGreaterThanOrEqualTo(1.0);
        }
    }
}
