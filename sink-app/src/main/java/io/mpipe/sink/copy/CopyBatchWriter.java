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
 * <p>Used by one thread at a time.
 */
public final class CopyBatchWriter {
    static final String COPY_SAMPLES = "COPY samples (series_id, ts, value) FROM STDIN (FORMAT binary)";
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
                    int len = encode(b, ids);
                    CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
                    if (dedup == DedupMode.OPTIMISTIC) {
                        try {
                            inserted = copy(copy, COPY_SAMPLES, len);
                        } catch (SQLException e) {
                            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                                throw e;
                            }
                            c.rollback();
                            inserted = viaStaging(c, copy, len);
                            deduplicated = true;
                        }
                    } else {
                        inserted = viaStaging(c, copy, len);
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

    private long viaStaging(Connection c, CopyManager copy, int len) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(CREATE_STAGE);
            copy(copy, COPY_STAGE, len);
            return st.executeUpdate(MERGE_STAGE);
        }
    }

    private long copy(CopyManager copy, String sql, int len) throws SQLException {
        CopyIn in = copy.copyIn(sql);
        try {
            in.writeToCopy(buf, 0, len);
            return in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    private int encode(Batch b, long[] ids) {
        int n = b.size();
        int need = SampleRowEncoder.HEADER_BYTES + n * SampleRowEncoder.ROW_BYTES + SampleRowEncoder.TRAILER_BYTES;
        if (buf.length < need) {
            buf = new byte[Math.max(need, buf.length * 2)];
        }
        int pos = SampleRowEncoder.header(buf, 0);
        for (int i : b.rowsInKeyOrder(ids)) {
            pos = SampleRowEncoder.row(buf, pos, ids[b.seriesOf(i)], b.timestamp(i), b.value(i));
        }
        return SampleRowEncoder.trailer(buf, pos);
    }
}
