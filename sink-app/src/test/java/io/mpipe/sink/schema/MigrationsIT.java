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
        assertThat(Migrations.migrate(ds(db))).isEqualTo(5);
        List<String> first = schema(db);
        assertThat(first).contains("samples.series_id:bigint", "samples.ts:timestamp with time zone",
                "samples.value:double precision", "series.labels:jsonb", "metrics.name:text",
                "metrics.ts:timestamp with time zone", "metrics.value:double precision", "metrics.labels:jsonb",
                "sink_offsets.next_offset:bigint", "index series_labels_idx", "index series_name_idx",
                "function ensure_sample_partition", "function drop_sample_partitions_before",
                "function index_sample_partition", "series.samples_until:timestamp with time zone",
                "function delete_unused_series", "function grant_like_samples",
                "function sync_sample_partition_grants");
        // the key is time first (inserts arrive in time order), with the same uniqueness
        assertThat(db.queryLong("SELECT count(*) FROM pg_indexes WHERE indexname = 'samples_pkey'"
                + " AND indexdef LIKE '%UNIQUE%(ts, series_id)'")).isEqualTo(1);
        assertThat(Migrations.migrate(ds(db))).isZero();
        assertThat(schema(db)).isEqualTo(first);
    }

    @Test
    void shouldKeepTheSamplesOfAVersion1DatabaseWhenTheKeyBecomesTimeFirst(TestDatabase db) throws Exception {
        PGSimpleDataSource ds = ds(db);
        org.flywaydb.core.Flyway.configure().dataSource(ds).locations(Migrations.DEFAULT_LOCATION).target("1").load()
                .migrate();
        new PartitionMaintainer(Duration.ofDays(1)).ensureAhead(ds,
                Clock.fixed(Instant.parse("2026-10-01T12:00:00Z"), ZoneOffset.UTC), 1);
        db.execute("INSERT INTO samples SELECT s, '2026-10-01T00:00:00Z'::timestamptz + t * interval '1 minute', s * t"
                + " FROM generate_series(1, 50) s, generate_series(0, 99) t");
        long sumBefore = db.queryLong("SELECT sum(value)::bigint FROM samples");

        assertThat(Migrations.migrate(ds)).isEqualTo(4);

        assertThat(db.queryLong("SELECT count(*) FROM samples")).isEqualTo(5_000);
        assertThat(db.queryLong("SELECT sum(value)::bigint FROM samples")).isEqualTo(sumBefore);
        // each existing partition has the new key, and it still refuses a second sample at the same time
        assertThat(db.queryLong("SELECT count(*) FROM pg_indexes WHERE tablename = 'samples_20261001'"
                + " AND indexdef LIKE '%UNIQUE%(ts, series_id)'")).isEqualTo(1);
        db.execute("INSERT INTO samples VALUES (7, '2026-10-01T00:03:00Z', 1) ON CONFLICT DO NOTHING");
        assertThat(db.queryLong("SELECT count(*) FROM samples")).isEqualTo(5_000);
    }

    @Test
    void shouldIndexAClosedPartitionOnceWhenTwoSinksMaintainAtTheSameTime(TestDatabase db) throws Exception {
        PGSimpleDataSource ds = ds(db);
        Migrations.migrate(ds);
        new PartitionMaintainer(Duration.ofDays(1)).ensureAhead(ds,
                Clock.fixed(Instant.parse("2026-10-01T00:00:00Z"), ZoneOffset.UTC), 0);
        // enough rows that building the index takes a while
        db.execute("INSERT INTO samples SELECT s, '2026-10-01T00:00:00Z'::timestamptz + t * interval '1 second', t"
                + " FROM generate_series(1, 100) s, generate_series(0, 2999) t");
        Clock later = Clock.fixed(Instant.parse("2026-10-03T00:00:00Z"), ZoneOffset.UTC);
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.Callable<List<String>> sink = () -> {
            PartitionMaintainer mine = new PartitionMaintainer(Duration.ofDays(1));
            start.await();
            return mine.indexClosed(ds, later, Duration.ofMinutes(10));
        };
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var a = pool.submit(sink);
            var b = pool.submit(sink);
            List<String> both = new ArrayList<>(a.get());
            both.addAll(b.get());
            assertThat(both).as("built by one of them, and said so once").containsExactly("samples_20261001");
        } finally {
            pool.shutdownNow();
        }
        assertThat(db.queryLong("SELECT count(*) FROM pg_indexes WHERE indexname = 'samples_20261001_series_idx'"))
                .isEqualTo(1);
    }

    @Test
    void shouldIndexAPartitionBySeriesOnceItIsClosed(TestDatabase db) throws Exception {
        PGSimpleDataSource ds = ds(db);
        Migrations.migrate(ds);
        PartitionMaintainer p = new PartitionMaintainer(Duration.ofDays(1));
        p.ensureAhead(ds, Clock.fixed(Instant.parse("2026-10-01T12:00:00Z"), ZoneOffset.UTC), 2);
        db.execute("INSERT INTO samples VALUES (1, '2026-10-01T13:00:00Z', 1), (2, '2026-10-01T13:00:00Z', 2)");
        Duration grace = Duration.ofMinutes(10);

        // 10-01 ended at 10-02T00:00; five minutes later it is not closed yet, ten minutes later it is
        assertThat(p.indexClosed(ds, Clock.fixed(Instant.parse("2026-10-02T00:05:00Z"), ZoneOffset.UTC), grace))
                .isEmpty();
        Clock later = Clock.fixed(Instant.parse("2026-10-02T00:10:00Z"), ZoneOffset.UTC);
        assertThat(p.indexClosed(ds, later, grace)).containsExactly("samples_20261001");
        assertThat(p.indexClosed(ds, later, grace)).isEmpty();
        assertThat(db.queryLong("SELECT count(*) FROM pg_indexes WHERE tablename = 'samples_20261001'"
                + " AND indexname = 'samples_20261001_series_idx' AND indexdef LIKE '%(series_id, ts)'")).isEqualTo(1);
        assertThat(db.queryLong("SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%series_idx'")).isEqualTo(1);

        // a late sample still goes into the closed partition, and a duplicate still adds nothing
        db.execute("INSERT INTO samples VALUES (1, '2026-10-01T14:00:00Z', 3)");
        db.execute("INSERT INTO samples VALUES (1, '2026-10-01T14:00:00Z', 4) ON CONFLICT DO NOTHING");
        assertThat(db.queryLong("SELECT count(*) FROM samples_20261001 WHERE series_id = 1")).isEqualTo(2);

        // partitions dropped by retention are gone from the list; the one left that has closed gets its index
        assertThat(p.dropExpired(ds, Clock.fixed(Instant.parse("2026-10-05T00:00:00Z"), ZoneOffset.UTC),
                Duration.ofDays(2))).containsExactly("samples_20261001", "samples_20261002");
        assertThat(p.indexClosed(ds, Clock.fixed(Instant.parse("2026-10-05T00:00:00Z"), ZoneOffset.UTC), grace))
                .containsExactly("samples_20261003");
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
