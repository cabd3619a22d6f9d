package io.mpipe.sink.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.sink.schema.Migrations;
import io.mpipe.sink.schema.PartitionMaintainer;
import io.mpipe.sink.series.SeriesCache;
import io.mpipe.sink.series.SeriesResolver;
import io.mpipe.testsupport.TestDatabase;
import io.mpipe.testsupport.WithPostgres;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

@WithPostgres
class SeriesCleanupIT {
    private static final long DAY = 86_400_000L;
    private static final Instant T0 = Instant.parse("2026-10-01T00:00:00Z");

    private static PGSimpleDataSource ds(TestDatabase db) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(db.jdbcUrl());
        ds.setUser(db.user());
        ds.setOptions("-c TimeZone=UTC");
        return ds;
    }

    /** Resolves {@code keys} with each one's newest sample at {@code ts}, as the sink's writer does. */
    private static long[] resolve(SeriesResolver r, PGSimpleDataSource ds, PartitionMaintainer p, List<String> keys,
            long ts) throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            p.ensure(c, List.of(p.partitionStart(ts)));
            c.commit();
            long[] until = new long[keys.size()];
            java.util.Arrays.fill(until, p.partitionEnd(ts));
            return r.resolve(c, keys, until, null);
        }
    }

    @Test
    void shouldDeleteTheSeriesWhoseSamplesRetentionDroppedAndKeepTheOthers(TestDatabase db) throws Exception {
        PGSimpleDataSource ds = ds(db);
        Migrations.migrate(ds);
        PartitionMaintainer p = new PartitionMaintainer(Duration.ofDays(1));
        SeriesResolver r = new SeriesResolver(new SeriesCache(100));
        long day0 = T0.toEpochMilli();
        long[] old = resolve(r, ds, p, List.of("flood{id=\"1\"}", "flood{id=\"2\"}", "steady"), day0 + 1000);
        db.execute("INSERT INTO samples VALUES (" + old[0] + ", '2026-10-01T00:00:01Z', 1), (" + old[1]
                + ", '2026-10-01T00:00:01Z', 1), (" + old[2] + ", '2026-10-01T00:00:01Z', 1)");
        // the steady series goes on two days later; the flood stopped
        resolve(r, ds, p, List.of("steady"), day0 + 2 * DAY + 5);
        db.execute("INSERT INTO samples VALUES (" + old[2] + ", '2026-10-03T00:00:00.005Z', 2)");

        assertThat(SeriesCleanup.run(ds)).as("nothing is dropped yet").isZero();

        // retention drops the first day
        p.dropExpired(ds, Clock.fixed(T0.plus(Duration.ofDays(2)), ZoneOffset.UTC), Duration.ZERO);
        assertThat(SeriesCleanup.run(ds)).isEqualTo(2);
        assertThat(db.queryLong("SELECT count(*) FROM series WHERE key LIKE 'flood%'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM metrics WHERE name = 'steady'")).isEqualTo(1);
        assertThat(SeriesCleanup.run(ds)).as("idempotent").isZero();
    }

    @Test
    void shouldInsertAgainASeriesThatWasDeletedWhileTheSinkHadItCached(TestDatabase db) throws Exception {
        PGSimpleDataSource ds = ds(db);
        Migrations.migrate(ds);
        PartitionMaintainer p = new PartitionMaintainer(Duration.ofDays(1));
        SeriesResolver sink = new SeriesResolver(new SeriesCache(100));
        long day0 = T0.toEpochMilli();
        long first = resolve(sink, ds, p, List.of("comeback"), day0)[0];
        resolve(new SeriesResolver(new SeriesCache(1)), ds, p, List.of("other"), day0 + 3 * DAY);
        p.dropExpired(ds, Clock.fixed(T0.plus(Duration.ofDays(2)), ZoneOffset.UTC), Duration.ZERO);
        assertThat(SeriesCleanup.run(ds)).isEqualTo(1);

        // the sink still has the old id cached; its next sample, three days on, moves the series on
        long again = resolve(sink, ds, p, List.of("comeback"), day0 + 3 * DAY)[0];

        assertThat(again).isNotEqualTo(first);
        assertThat(db.queryLong("SELECT count(*) FROM series WHERE key = 'comeback' AND id = " + again)).isEqualTo(1);
        assertThat(SeriesCleanup.run(ds)).isZero();
    }

    @Test
    void shouldNeverDeleteASeriesWhoseSamplesTimesAreNotKnown(TestDatabase db) throws Exception {
        PGSimpleDataSource ds = ds(db);
        Migrations.migrate(ds);
        db.execute("INSERT INTO series (key, name) VALUES ('by_hand', 'by_hand')");
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            new SeriesResolver(new SeriesCache(10)).resolve(c, List.of("no_times"));
        }
        new PartitionMaintainer(Duration.ofDays(1)).ensureAhead(ds, Clock.systemUTC(), 1);
        assertThat(SeriesCleanup.run(ds)).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM series")).isEqualTo(2);
    }
}
