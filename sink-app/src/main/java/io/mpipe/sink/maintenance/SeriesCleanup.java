package io.mpipe.sink.maintenance;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the series that have no sample left (all of them dropped by retention), in chunks of
 * {@value #CHUNK} rows, each its own transaction, through {@code delete_unused_series}: that
 * function holds the lock that keeps partitions from being created or dropped while it looks, and
 * the sink creates a batch's partitions before it touches the batch's series, so a series being
 * written is never deleted (the migration {@code V3__series_cleanup.sql} says why). Idempotent and
 * safe to stop at any moment: what it has not deleted, the next run does.
 */
public final class SeriesCleanup {
    private static final Logger log = LoggerFactory.getLogger(SeriesCleanup.class);
    static final int CHUNK = 50_000;

    private SeriesCleanup() {
    }

    /** Deletes every series with no sample left; returns how many. */
    public static long run(DataSource ds) throws SQLException {
        long total = 0;
        long t0 = System.nanoTime();
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT delete_unused_series(?)")) {
            ps.setInt(1, CHUNK);
            long n;
            do {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    n = rs.getLong(1);
                }
                total += n;
            } while (n == CHUNK);
        }
        if (total > 0) {
            log.info("deleted {} series with no sample left (all past retention) in {} ms", total,
                    (System.nanoTime() - t0) / 1_000_000);
        }
        return total;
    }
}
