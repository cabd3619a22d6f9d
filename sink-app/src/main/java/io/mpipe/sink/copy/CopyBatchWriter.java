package io.mpipe.sink.copy;

import io.mpipe.sink.batch.Batch;
import io.mpipe.sink.dlq.DeadLetterPublisher;
import io.mpipe.sink.offsets.OffsetStore;
import io.mpipe.sink.schema.PartitionMaintainer;
import io.mpipe.sink.series.SeriesResolver;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * Writes one batch, exactly once: dead letters acknowledged by the broker, series resolved (their
 * own transaction), partitions ensured, then in one transaction the samples by binary COPY, in
 * primary-key order, and the batch's offsets. Either all of a batch's rows and its offsets are committed, or none.
 *
 * <p>The rows go straight into the time partitions that hold them, one COPY per partition (a
 * batch in key order is in time order, so each partition's rows are one run): through the parent
 * table PostgreSQL finds each row's partition itself, which cost its backend about 8 % more CPU
 * in COPYs of 20,000 rows (see BENCHMARKS.md, Sink). PostgreSQL still checks each row against
 * its partition's bounds.
 *
 * <p>Used by one thread at a time.
 */
public final class CopyBatchWriter {
    static final String COPY_STAGE = "COPY sink_stage (series_id, ts, value) FROM STDIN (FORMAT binary)";
    static final String CREATE_STAGE = "CREATE TEMP TABLE IF NOT EXISTS sink_stage "
            + "(series_id bigint, ts timestamptz, value double precision) ON COMMIT DELETE ROWS";
    static final String MERGE_STAGE = "INSERT INTO samples (series_id, ts, value) "
            + "SELECT series_id, ts, value FROM sink_stage ORDER BY ts, series_id ON CONFLICT DO NOTHING";
    static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;
    private final SeriesResolver series;
    private final PartitionMaintainer partitions;
    private final OffsetStore offsets;
    private final DeadLetterPublisher deadLetters;
    private final DedupMode dedup;
    private byte[] buf = new byte[1 << 20];
    /** The encoded batch: one COPY stream per partition, ending at {@code segmentEnds}. */
    private long[] segmentStarts = new long[4];
    private int[] segmentEnds = new int[4];
    private int segments;

    public CopyBatchWriter(DataSource dataSource, SeriesResolver series, PartitionMaintainer partitions,
            OffsetStore offsets, DeadLetterPublisher deadLetters, DedupMode dedup) {
        this.dataSource = dataSource;
        this.series = series;
        this.partitions = partitions;
        this.offsets = offsets;
        this.deadLetters = deadLetters;
        this.dedup = dedup;
    }

    public SeriesResolver series() {
        return series;
    }

    /**
     * Writes the batch. On any exception nothing of it is committed and the caller may retry it.
     */
    public WriteResult write(Batch b) throws SQLException {
        if (!b.deadLettersPublished()) {
            deadLetters.publish(b.deadLetters());
            b.markDeadLettersPublished();
        }
        long t0 = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                int n = b.size();
                long inserted = 0;
                boolean deduplicated = false;
                if (n > 0) {
                    long[] ids = series.resolve(c, b.seriesKeys());
                    partitions.ensure(c, b.partitionStarts());
                    c.commit();
                    encode(b, ids);
                    CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
                    if (dedup == DedupMode.OPTIMISTIC) {
                        try {
                            for (int s = 0; s < segments; s++) {
                                inserted += copy(copy, copyInto(partitions.partitionName(segmentStarts[s])), s);
                            }
                        } catch (SQLException e) {
                            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                                throw e;
                            }
                            c.rollback();
                            inserted = viaStaging(c, copy);
                            deduplicated = true;
                        }
                    } else {
                        inserted = viaStaging(c, copy);
                        deduplicated = true;
                    }
                }
                offsets.write(c, b.nextOffsets());
                c.commit();
                return new WriteResult(n, inserted, b.deadLetters().size(), b.nextOffsets(), b.newestTimestamp(),
                        System.nanoTime() - t0, System.currentTimeMillis(), deduplicated);
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                partitions.forget();
                throw e;
            }
        }
    }

    private long viaStaging(Connection c, CopyManager copy) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(CREATE_STAGE);
            for (int s = 0; s < segments; s++) {
                copy(copy, COPY_STAGE, s);
            }
            return st.executeUpdate(MERGE_STAGE);
        }
    }

    /** The COPY of sample rows into {@code table}, a partition of {@code samples} (its name needs no quoting). */
    public static String copyInto(String table) {
        return "COPY " + table + " (series_id, ts, value) FROM STDIN (FORMAT binary)";
    }

    /** Sends the encoded segment {@code s} with {@code sql}; returns the rows PostgreSQL took. */
    private long copy(CopyManager copy, String sql, int s) throws SQLException {
        int from = s == 0 ? 0 : segmentEnds[s - 1];
        CopyIn in = copy.copyIn(sql);
        try {
            in.writeToCopy(buf, from, segmentEnds[s] - from);
            return in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    /**
     * Encodes the batch's rows in key order, a COPY stream (header, rows, trailer) for each
     * partition they fall in, in turn.
     */
    private void encode(Batch b, long[] ids) {
        int n = b.size();
        int parts = b.partitionStarts().size();
        int need = parts * (SampleRowEncoder.HEADER_BYTES + SampleRowEncoder.TRAILER_BYTES) + n * SampleRowEncoder.ROW_BYTES;
        if (buf.length < need) {
            buf = new byte[Math.max(need, buf.length * 2)];
        }
        if (segmentStarts.length < parts) {
            segmentStarts = new long[parts];
            segmentEnds = new int[parts];
        }
        segments = 0;
        int pos = 0;
        long current = 0;
        for (int i : b.rowsInKeyOrder(ids)) {
            long ts = b.timestamp(i);
            long start = partitions.partitionStart(ts);
            if (segments == 0 || start != current) {
                if (segments > 0) {
                    pos = SampleRowEncoder.trailer(buf, pos);
                    segmentEnds[segments - 1] = pos;
                }
                current = start;
                segmentStarts[segments++] = start;
                pos = SampleRowEncoder.header(buf, pos);
            }
            pos = SampleRowEncoder.row(buf, pos, ids[b.seriesOf(i)], ts, b.value(i));
        }
        pos = SampleRowEncoder.trailer(buf, pos);
        segmentEnds[segments - 1] = pos;
    }
}
