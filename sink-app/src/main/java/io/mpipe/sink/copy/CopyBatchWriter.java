package io.mpipe.sink.copy;

import io.mpipe.sink.batch.Batch;
import io.mpipe.sink.dlq.DeadLetterPublisher;
import io.mpipe.sink.offsets.OffsetStore;
import io.mpipe.sink.schema.PartitionMaintainer;
import io.mpipe.sink.series.SeriesResolver;
import io.mpipe.sink.write.WriteErrors;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * Writes one batch, exactly once: dead letters acknowledged by the broker, partitions ensured and
 * series resolved (each committed), then in one transaction the fence ({@link OffsetStore#fence}:
 * this sink still owns the batch's partitions, and nothing is stored past where it starts), the
 * samples by binary COPY, in primary-key order, and the batch's offsets. Either all of a batch's
 * rows and its offsets are committed, or none; a batch the fence refuses writes nothing.
 *
 * <p>The rows go straight into the time partitions that hold them, one COPY per partition (a
 * batch in key order is in time order, so each partition's rows are one run): through the parent
 * table PostgreSQL finds each row's partition itself, which cost its backend about 8 % more CPU
 * in COPYs of 20,000 rows (see BENCHMARKS.md, Sink). PostgreSQL still checks each row against
 * its partition's bounds.
 *
 * <p>The partitions are created before the series are inserted or moved on, so that the series
 * clean-up (which looks at the partitions and the series under one lock) never deletes a series
 * whose samples are on their way (see {@code V3__series_cleanup.sql}).
 *
 * <p>When PostgreSQL refuses a batch for its data, {@link #writeIsolating} finds the rows it
 * refuses on their own and stores the rest, with the batch's offsets, in one transaction.
 *
 * <p>Used by one thread at a time.
 */
public final class CopyBatchWriter {
    static final String COPY_STAGE = "COPY sink_stage (series_id, ts, value) FROM STDIN (FORMAT binary)";
    static final String CREATE_STAGE = "CREATE TEMP TABLE IF NOT EXISTS sink_stage "
            + "(series_id bigint, ts timestamptz, value double precision) ON COMMIT DELETE ROWS";
    static final String MERGE_STAGE = "INSERT INTO samples (series_id, ts, value) "
            + "SELECT series_id, ts, value FROM sink_stage ORDER BY ts, series_id ON CONFLICT DO NOTHING";
    static final String CLEAR_STAGE = "DELETE FROM sink_stage";
    static final String UNIQUE_VIOLATION = "23505";

    /** A row PostgreSQL refused on its own: its index in the batch, why, and what kind of error it was. */
    public record Refusal(int row, String reason, WriteErrors.Kind kind) {
    }

    /** Sends refused rows to the dead-letter topic; returns only once the broker has them all. */
    @FunctionalInterface
    public interface RefusalSink {
        void deadLetter(Batch batch, List<Refusal> refused);
    }

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

    public PartitionMaintainer partitions() {
        return partitions;
    }

    /**
     * Writes the batch. On any exception nothing of it is committed and the caller may retry it.
     */
    public WriteResult write(Batch b) throws SQLException {
        long t0 = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                publishDeadLetters(c, b);
                int n = b.size();
                long inserted = 0;
                boolean deduplicated = false;
                if (n > 0) {
                    partitions.ensure(c, b.partitionStarts());
                    c.commit();
                    long[] ids = series.resolve(c, b.seriesKeys(), untils(b), null);
                    encode(b, ids);
                    offsets.fence(c, b.firstOffsets());
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
                            offsets.fence(c, b.firstOffsets()); // the rollback let go of the rows' locks
                            inserted = viaStaging(c, copy);
                            deduplicated = true;
                        }
                    } else {
                        inserted = viaStaging(c, copy);
                        deduplicated = true;
                    }
                } else {
                    offsets.fence(c, b.firstOffsets());
                }
                offsets.write(c, b.nextOffsets());
                c.commit();
                return new WriteResult(n, inserted, b.deadLetters().size(), 0, b.nextOffsets(), b.newestTimestamp(),
                        System.nanoTime() - t0, System.currentTimeMillis(), deduplicated);
            } catch (SQLException | RuntimeException e) {
                rollback(c, e);
                throw e;
            }
        }
    }

    /**
     * Writes the batch, storing every row PostgreSQL takes and handing the rows it refuses on
     * their own to {@code refusals} (before the commit, so that they are dead-lettered or the
     * batch is not committed at all). Rows go through the staging table, halves of a refused set
     * each under a savepoint, down to single rows: with k bad rows among n, about 2k log2(n)
     * statements. A new series PostgreSQL refuses takes its rows with it.
     *
     * <p>An error that is not plainly the data's ({@link WriteErrors.Kind#UNKNOWN}) blames no row
     * unless some row of the batch was stored: when every row fails alone, it is the database's
     * and the first error is thrown, as is any {@link WriteErrors.Kind#MOMENT bad moment}.
     */
    public WriteResult writeIsolating(Batch b, RefusalSink refusals) throws SQLException {
        long t0 = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                publishDeadLetters(c, b);
                int n = b.size();
                List<Refusal> refused = new ArrayList<>();
                long[] inserted = {0};
                if (n > 0) {
                    partitions.ensure(c, b.partitionStarts());
                    c.commit();
                    Map<Integer, String> badSeries = new HashMap<>();
                    long[] ids = series.resolve(c, b.seriesKeys(), untils(b), badSeries);
                    offsets.fence(c, b.firstOffsets());
                    List<Integer> rows = new ArrayList<>(n);
                    for (int r : b.rowsInKeyOrder(ids)) {
                        String bad = badSeries.get(b.seriesOf(r));
                        if (bad == null) {
                            rows.add(r);
                        } else {
                            refused.add(new Refusal(r, "series: " + bad, WriteErrors.Kind.DATA));
                        }
                    }
                    CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
                    try (Statement st = c.createStatement()) {
                        st.execute(CREATE_STAGE);
                    }
                    int[] order = rows.stream().mapToInt(Integer::intValue).toArray();
                    SQLException[] first = new SQLException[1];
                    int stored = isolate(c, copy, b, ids, order, 0, order.length, refused, inserted, first);
                    boolean onlyUnknown = !refused.isEmpty()
                            && refused.stream().allMatch(f -> f.kind() == WriteErrors.Kind.UNKNOWN);
                    if (stored == 0 && onlyUnknown) {
                        throw first[0]; // every row fails, and not plainly for its data: the database's
                    }
                }
                if (n == 0) {
                    offsets.fence(c, b.firstOffsets());
                }
                if (!refused.isEmpty()) {
                    refusals.deadLetter(b, refused);
                }
                offsets.write(c, b.nextOffsets());
                c.commit();
                return new WriteResult(n, inserted[0], b.deadLetters().size() + refused.size(), refused.size(),
                        b.nextOffsets(), b.newestTimestamp(), System.nanoTime() - t0, System.currentTimeMillis(), true);
            } catch (SQLException | RuntimeException e) {
                rollback(c, e);
                throw e;
            }
        }
    }

    /**
     * Stores {@code order[from, to)} through the staging table under a savepoint; when refused for
     * its data, each half on its own. Returns the rows stored (new or already there).
     */
    private int isolate(Connection c, CopyManager copy, Batch b, long[] ids, int[] order, int from, int to,
            List<Refusal> refused, long[] inserted, SQLException[] first) throws SQLException {
        if (from == to) {
            return 0;
        }
        Savepoint sp = c.setSavepoint();
        try {
            int end = SampleRowEncoder.trailer(buf, encodeRows(b, ids, order, from, to));
            CopyIn in = copy.copyIn(COPY_STAGE);
            try {
                in.writeToCopy(buf, 0, end);
                in.endCopy();
            } finally {
                if (in.isActive()) {
                    in.cancelCopy();
                }
            }
            try (Statement st = c.createStatement()) {
                inserted[0] += st.executeUpdate(MERGE_STAGE);
                st.executeUpdate(CLEAR_STAGE);
            }
            c.releaseSavepoint(sp);
            return to - from;
        } catch (SQLException e) {
            c.rollback(sp);
            WriteErrors.Kind kind = WriteErrors.classify(e);
            if (kind == WriteErrors.Kind.MOMENT) {
                throw e;
            }
            if (first[0] == null) {
                first[0] = e;
            }
            if (to - from == 1) {
                refused.add(new Refusal(order[from], WriteErrors.describe(e), kind));
                return 0;
            }
            int mid = (from + to) >>> 1;
            return isolate(c, copy, b, ids, order, from, mid, refused, inserted, first)
                    + isolate(c, copy, b, ids, order, mid, to, refused, inserted, first);
        }
    }

    /**
     * Publishes the batch's dead letters once; first checks the fence (and lets go of its locks), so
     * that a sink that lost the partitions does not send their letters again.
     */
    private void publishDeadLetters(Connection c, Batch b) throws SQLException {
        if (!b.deadLettersPublished()) {
            if (!b.deadLetters().isEmpty()) {
                offsets.fence(c, b.firstOffsets());
                c.commit();
            }
            deadLetters.publish(b.deadLetters());
            b.markDeadLettersPublished();
        }
    }

    private void rollback(Connection c, Exception e) {
        try {
            c.rollback();
        } catch (SQLException suppressed) {
            e.addSuppressed(suppressed);
        }
        partitions.forget();
    }

    /** Per series of the batch, the end of the partition of its newest sample. */
    private long[] untils(Batch b) {
        long[] newest = b.seriesNewest();
        long[] until = new long[b.seriesKeys().size()];
        for (int s = 0; s < until.length; s++) {
            until[s] = partitions.partitionEnd(newest[s]);
        }
        return until;
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
        ensureBuffer(parts * (SampleRowEncoder.HEADER_BYTES + SampleRowEncoder.TRAILER_BYTES)
                + n * SampleRowEncoder.ROW_BYTES);
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

    /** Encodes the rows {@code order[from, to)} as one COPY stream without its trailer; returns its end. */
    private int encodeRows(Batch b, long[] ids, int[] order, int from, int to) {
        ensureBuffer(SampleRowEncoder.HEADER_BYTES + SampleRowEncoder.TRAILER_BYTES
                + (to - from) * SampleRowEncoder.ROW_BYTES);
        int pos = SampleRowEncoder.header(buf, 0);
        for (int k = from; k < to; k++) {
            int i = order[k];
            pos = SampleRowEncoder.row(buf, pos, ids[b.seriesOf(i)], b.timestamp(i), b.value(i));
        }
        return pos;
    }

    private void ensureBuffer(int need) {
        if (buf.length < need) {
            buf = new byte[Math.max(need, buf.length * 2)];
        }
    }
}
