package io.mpipe.sink.schema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Time partitions of {@code samples}: aligned to multiples of the interval since the epoch (UTC),
 * named {@code samples_YYYYMMDD} (or {@code samples_YYYYMMDD_HH} for sub-day intervals). Creates
 * them ahead of need and on demand for replayed old data; drops those past retention; gives each
 * closed partition a (series_id, ts) index for reads by series.
 *
 * <p>Used by one thread; each user keeps its own instance (the set of known partitions is a cache,
 * which {@link #known()} lets other threads read).
 */
public final class PartitionMaintainer {
    private static final Logger log = LoggerFactory.getLogger(PartitionMaintainer.class);
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyyMMdd_HH").withZone(ZoneOffset.UTC);

    private final long intervalMs;
    /** Starts of the partitions known to exist; read by the sink's loop too (see {@link #known()}). */
    private final Set<Long> known = ConcurrentHashMap.newKeySet();
    /** Whether {@link #known} holds every partition the database had when last asked. */
    private boolean loaded;

    /**
     * @param interval a whole number of hours that divides a day, or a whole number of days
     */
    public PartitionMaintainer(Duration interval) {
        this.intervalMs = interval.toMillis();
        if (!validInterval(interval)) {
            throw new IllegalArgumentException("partition interval " + interval + " must be whole hours dividing a day,"
                    + " or whole days");
        }
    }

    public static boolean validInterval(Duration d) {
        long ms = d.toMillis();
        if (ms <= 0 || ms % 3_600_000L != 0) {
            return false;
        }
        long hours = ms / 3_600_000L;
        return hours % 24 == 0 || 24 % hours == 0;
    }

    /** Start (epoch ms) of the partition holding {@code tsMillis}. */
    public long partitionStart(long tsMillis) {
        return Math.floorDiv(tsMillis, intervalMs) * intervalMs;
    }

    /** End (epoch ms, exclusive) of the partition holding {@code tsMillis}. */
    public long partitionEnd(long tsMillis) {
        return partitionStart(tsMillis) + intervalMs;
    }

    public long intervalMs() {
        return intervalMs;
    }

    /**
     * The starts of the partitions this instance knows to exist, as a live view that any thread
     * may read: the sink's loop counts the partitions a batch would create from it. It may miss
     * some that exist (then a batch is only cut sooner than it had to be).
     */
    public Set<Long> known() {
        return Collections.unmodifiableSet(known);
    }

    public String partitionName(long startMs) {
        return "samples_" + (intervalMs % 86_400_000L == 0 ? DAY : HOUR).format(Instant.ofEpochMilli(startMs));
    }

    /**
     * Ensures the partitions starting at each of {@code starts} exist, in the caller's connection
     * (committed by the caller). Returns how many were created.
     */
    public int ensure(Connection c, Iterable<Long> starts) throws SQLException {
        if (!loaded) {
            load(c);
        }
        int created = 0;
        List<Long> toCheck = new ArrayList<>();
        for (long s : starts) {
            if (!known.contains(s)) {
                toCheck.add(s);
            }
        }
        if (toCheck.isEmpty()) {
            return 0;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT ensure_sample_partition(?, ?, ?)")) {
            for (long s : toCheck) {
                ps.setString(1, partitionName(s));
                ps.setObject(2, utc(s));
                ps.setObject(3, utc(s + intervalMs));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        created++;
                        log.info("created partition {}", partitionName(s));
                    }
                }
            }
        }
        known.addAll(toCheck);
        return created;
    }

    /** Learns every partition there is, in one query. */
    private void load(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT (extract(epoch FROM from_ts) * 1000)::bigint FROM sample_partitions");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                known.add(rs.getLong(1));
            }
        }
        loaded = true;
    }

    /** Creates the partitions from now through {@code ahead} intervals ahead; commits. */
    public int ensureAhead(DataSource ds, Clock clock, int ahead) throws SQLException {
        long first = partitionStart(clock.millis());
        List<Long> starts = new ArrayList<>();
        for (int i = 0; i <= ahead; i++) {
            starts.add(first + i * intervalMs);
        }
        try (Connection c = ds.getConnection()) {
            return ensure(c, starts);
        }
    }

    /** Drops partitions that end at or before {@code now - retention}; returns their names. */
    public List<String> dropExpired(DataSource ds, Clock clock, Duration retention) throws SQLException {
        Instant cutoff = clock.instant().minus(retention);
        List<String> dropped = new ArrayList<>();
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT drop_sample_partitions_before(?)")) {
            ps.setObject(1, utc(cutoff.toEpochMilli()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    dropped.add(rs.getString(1));
                }
            }
        }
        if (!dropped.isEmpty()) {
            log.info("retention {}: dropped partitions {}", retention, dropped);
            forget();
        }
        return dropped;
    }

    /**
     * Adds the (series_id, ts) index {@code <partition>_series_idx} to every partition that ended
     * at least {@code grace} before now and has none yet; returns the partitions indexed.
     *
     * <p>The primary key (ts, series_id) suits inserts, which arrive in time order; a read of a
     * few series over a time range wants the series first. A partition that receives no more new
     * data gets that index once, so only the open partition is without it. A late or replayed
     * sample for a closed partition still goes in, into both indexes; while an index is being
     * built, writes to that one partition wait for it.
     */
    public List<String> indexClosed(DataSource ds, Clock clock, Duration grace) throws SQLException {
        List<String> todo = new ArrayList<>();
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT name FROM sample_partitions "
                        + "WHERE to_ts <= ? AND to_regclass(quote_ident(name || '_series_idx')) IS NULL ORDER BY from_ts")) {
            ps.setObject(1, utc(clock.instant().minus(grace).toEpochMilli()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    todo.add(rs.getString(1));
                }
            }
        }
        List<String> done = new ArrayList<>();
        for (String name : todo) {
            long t0 = System.nanoTime();
            try (Connection c = ds.getConnection();
                    PreparedStatement ps = c.prepareStatement("SELECT index_sample_partition(?)")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        continue; // another sink indexed it meanwhile, or retention dropped it
                    }
                }
            }
            done.add(name);
            log.info("indexed closed partition {} by series in {} ms", name, (System.nanoTime() - t0) / 1_000_000);
        }
        return done;
    }

    static OffsetDateTime utc(long epochMs) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(epochMs), ZoneOffset.UTC);
    }

    /**
     * The widths of the partitions that exist, in milliseconds. A different configured interval
     * would make new partitions overlap old ones, which PostgreSQL refuses.
     */
    public static java.util.Set<Long> existingWidths(DataSource ds) throws SQLException {
        java.util.Set<Long> out = new java.util.TreeSet<>();
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT DISTINCT (extract(epoch FROM to_ts - from_ts) * 1000)::bigint FROM sample_partitions");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    /** Forgets what is known to exist (after an error, or a drop by someone else). */
    public void forget() {
        known.clear();
        loaded = false;
    }
}
