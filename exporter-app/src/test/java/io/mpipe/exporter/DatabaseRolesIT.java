package io.mpipe.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.config.PostgresSettings;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.embedded.EmbeddedPostgres;
import io.mpipe.exporter.query.HistoryTier;
import io.mpipe.exporter.query.MetricView;
import io.mpipe.exporter.query.MetricsQuery;
import io.mpipe.sink.SinkApp;
import io.mpipe.sink.SinkConfig;
import io.mpipe.sink.schema.Database;
import io.mpipe.sink.schema.Migrations;
import io.mpipe.testsupport.TestCerts;
import io.mpipe.testsupport.TestDatabase;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.mpipe.testsupport.WithPostgres;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Least privilege in PostgreSQL: the schema owner migrates; a sink writing as a member of
 * {@code mpipe_writer} stores everything (partitions, series, duplicates) yet cannot touch any other
 * table; the history tier reading as a member of {@code mpipe_reader} answers and cannot write. And
 * {@code postgres.sslmode: verify-full} against a PostgreSQL with TLS on.
 */
@WithKafka
@WithPostgres
class DatabaseRolesIT {

    private static Connection as(TestDatabase db, String user) throws SQLException {
        return DriverManager.getConnection(db.jdbcUrl(), user, "pw");
    }

    private static void refused(TestDatabase db, String user, String sql) {
        assertThatThrownBy(() -> {
            try (Connection c = as(db, user); Statement st = c.createStatement()) {
                st.execute(sql);
            }
        }).as("%s: %s", user, sql).isInstanceOfSatisfying(SQLException.class,
                e -> assertThat(e.getSQLState()).isEqualTo("42501"));
    }

    @Test
    void shouldStoreAsTheWriterRoleAndReadAsTheReaderRoleAndNothingMore(TestKafka kafka, TestDatabase db)
            throws Exception {
        PGSimpleDataSource owner = new PGSimpleDataSource();
        owner.setUrl(db.jdbcUrl());
        owner.setUser(db.user());
        Migrations.migrate(owner);
        String writer = "sink_" + db.name();
        String reader = "exporter_" + db.name();
        db.execute("CREATE ROLE " + writer + " LOGIN PASSWORD 'pw' IN ROLE mpipe_writer");
        db.execute("CREATE ROLE " + reader + " LOGIN PASSWORD 'pw' IN ROLE mpipe_reader");

        String topic = kafka.newTopic("roles", 2);
        SinkConfig config = SinkConfig.load(ConfigSource.parse("""
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                  dlq-topic: %s.dlq
                postgres:
                  url: %s
                  user: %s
                  password: ${PW}
                sink:
                  group: %s
                  migrate-on-start: false
                  retention: 3650d
                  http:
                    port: 0
                """.formatted(kafka.bootstrapServers(), topic, topic, db.jdbcUrl(), writer,
                kafka.newGroup("roles")), Map.of("PW", "pw")));
        long now = System.currentTimeMillis();
        List<Metric> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            // over ten daily partitions the writer must create, and twice each: the second goes by the staging table
            sent.add(new Metric("roles_gauge", now - (i % 10) * 86_400_000L - i, i, Labels.of("i", "i" + (i % 20))));
        }
        List<Metric> twice = new ArrayList<>(sent);
        twice.addAll(sent);
        try (SinkApp sink = SinkApp.start(config, new CollectorRegistry())) {
            ExporterFixtures.produce(kafka.bootstrapServers(), topic, twice);
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    db.queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets") == twice.size());
        }
        assertThat(db.queryLong("SELECT count(*) FROM metrics")).isEqualTo(sent.size());
        assertThat(db.queryLong("SELECT count(*) FROM sample_partitions")).isGreaterThanOrEqualTo(10);

        // the writer: nothing beyond its own tables and functions
        refused(db, writer, "DELETE FROM series");
        refused(db, writer, "DELETE FROM samples");
        refused(db, writer, "SELECT * FROM flyway_schema_history");
        refused(db, writer, "DROP TABLE samples");
        refused(db, writer, "CREATE TABLE stolen (x int)");
        refused(db, writer, "UPDATE series SET name = 'x'");
        refused(db, writer, "SELECT grant_like_samples('samples')");
        // the reader: reads, and nothing else
        try (Connection c = as(db, reader); Statement st = c.createStatement()) {
            var rs = st.executeQuery("SELECT count(*) FROM metrics");
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(sent.size());
        }
        refused(db, reader, "INSERT INTO series (key, name) VALUES ('x', 'x')");
        refused(db, reader, "INSERT INTO samples VALUES (1, now(), 1)");
        refused(db, reader, "SELECT ensure_sample_partition('samples_x', now(), now() + interval '1 day')");
        refused(db, reader, "SELECT drop_sample_partitions_before('infinity')");
        refused(db, reader, "SELECT * FROM sink_offsets");

        // the exporter's history tier, as the reader
        try (HistoryTier history = HistoryTier.connect(PostgresSettings.of(db.jdbcUrl(), reader, "pw"))) {
            MetricsQuery q = new MetricsQuery(Optional.of("roles_gauge"), Map.of("i", "i3"), 0, now + 1, 100);
            List<MetricView> found = history.samples(history.seriesKeys(q), q.from(), q.to(), q.limit());
            assertThat(found).hasSize(10);
        }
    }

    @Test
    void shouldConnectWithVerifyFullToAPostgresWithTls(@TempDir Path dir) throws Exception {
        TestCerts certs = TestCerts.newCa(dir, "pg-ca");
        TestCerts.Issued server = certs.server("postgres");
        Files.setPosixFilePermissions(server.key(), PosixFilePermissions.fromString("rw-------"));
        TestCerts other = TestCerts.newCa(dir.resolve("other"), "other-ca");
        try (EmbeddedPostgres pg = EmbeddedPostgres.startTemporary(Map.of("ssl", "on",
                "ssl_cert_file", server.cert().toString(), "ssl_key_file", server.key().toString()))) {
            for (String host : List.of("localhost", "127.0.0.1")) {
                String url = "jdbc:postgresql://" + host + ":" + pg.port() + "/postgres";
                Map<String, String> env = Map.of("PG_URL", url, "CA", certs.ca().cert().toString());
                PostgresSettings verified = PostgresSettings.read(ConfigSource.parse("""
                        postgres:
                          url: ${PG_URL}
                          user: postgres
                          sslmode: verify-full
                          ssl-root-cert: ${CA}
                        """, env).reader());
                try (var pool = Database.pool(verified, "tls-test"); Connection c = pool.getConnection();
                        Statement st = c.createStatement()) {
                    var rs = st.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
                    rs.next();
                    assertThat(rs.getBoolean(1)).as("TLS to %s", host).isTrue();
                }
            }
            // a server whose certificate does not chain to the CA given is refused
            String url = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres?sslmode=verify-full&sslrootcert="
                    + other.ca().cert() + "&connectTimeout=5";
            assertThatThrownBy(() -> DriverManager.getConnection(url, "postgres", "").close())
                    .isInstanceOf(SQLException.class);
        }
    }
}
