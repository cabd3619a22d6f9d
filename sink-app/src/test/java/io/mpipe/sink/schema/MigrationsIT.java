package io.mpipe.sink.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.testsupport.TestDatabase;
import io.mpipe.testsupport.WithPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

@WithPostgres
class MigrationsIT {

    private static PGSimpleDataSource ds(TestDatabase db) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(db.jdbcUrl());
        ds.setUser(db.user());
        ds.setOptions("-c TimeZone=UTC");
        return ds;
    }

    private static List<String> schema(TestDatabase db) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("""
                        SELECT table_name || '.' || column_name || ':' || data_type
                        FROM information_schema.columns WHERE table_schema = 'public'
                        UNION ALL SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = 'public'
                        UNION ALL SELECT 'function ' || proname FROM pg_proc
                          WHERE pronamespace = 'public'::regnamespace
                        ORDER BY 1""")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    @Test
    void shouldMigrateAnEmptyDatabaseToTheLatestAndChangeNothingTheSecondTime(TestDatabase db) throws Exception {
        assertThat(Migrations.migrate(ds(db))).isEqualTo(1);
        List<String> first = schema(db);
        assertThat(first).contains("samples.series_id:bigint", "samples.ts:timestamp with time zone",
                "samples.value:double precision", "series.labels:jsonb", "metrics.name:text",
                "metrics.ts:timestamp with time zone", "metrics.value:double precision", "metrics.labels:jsonb",
                "sink_offsets.next_offset:bigint", "index series_labels_idx", "index series_name_idx",
                "function ensure_sample_partition", "function drop_sample_partitions_before");
        assertThat(Migrations.migrate(ds(db))).isZero();
        assertThat(schema(db)).isEqualTo(first);
    }

    @Test
    void shouldCreatePartitionsAheadAndDropThemPastRetention(TestDatabase db) throws Exception {
        PGSimpleDataSource ds = ds(db);
        Migrations.migrate(ds);
        PartitionMaintainer p = new PartitionMaintainer(Duration.ofDays(1));
        Clock then = Clock.fixed(Instant.parse("2026-10-01T12:00:00Z"), ZoneOffset.UTC);
        assertThat(p.ensureAhead(ds, then, 2)).isEqualTo(3);
        assertThat(p.ensureAhead(ds, then, 2)).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_inherits WHERE inhparent = 'samples'::regclass")).isEqualTo(3);
        db.execute("INSERT INTO samples VALUES (1, '2026-10-01T13:00:00Z', 1), (1, '2026-10-03T01:00:00Z', 2)");

        // 2026-10-04T12:00 minus 2 days is 10-02T12:00: only the 10-01 partition ends before it
        Clock later = Clock.fixed(Instant.parse("2026-10-04T12:00:00Z"), ZoneOffset.UTC);
        assertThat(p.dropExpired(ds, later, Duration.ofDays(2))).containsExactly("samples_20261001");
        assertThat(db.queryLong("SELECT count(*) FROM samples")).isEqualTo(1);
        assertThat(db.queryLong("SELECT count(*) FROM sample_partitions")).isEqualTo(2);
    }
}
