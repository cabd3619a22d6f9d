package io.mpipe.sink.copy;

/**
 * Encodes sample rows {@code (series_id bigint, ts timestamptz, value float8)} in PostgreSQL's
 * binary COPY format into a byte array, and nothing else: no I/O, no allocation per row.
 *
 * <p>Format: an 11-byte signature, flags and header-extension length (int32 each), then per row
 * the field count (int16) and each field as length (int32) plus big-endian bytes; a timestamptz
 * is microseconds since 2000-01-01 UTC. The trailer is int16 -1.
 */
public final class SampleRowEncoder {
    /** Bytes of one encoded row. */
    public static final int ROW_BYTES = 2 + 3 * (4 + 8);
    public static final int HEADER_BYTES = 19;
    public static final int TRAILER_BYTES = 2;

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
    /** 2000-01-01T00:00:00Z in epoch milliseconds. */
    static final long PG_EPOCH_MS = 946_684_800_000L;

    private SampleRowEncoder() {
    }

    /** Writes the header at {@code pos}; returns the position after it. */
    public static int header(byte[] buf, int pos) {
        System.arraycopy(SIGNATURE, 0, buf, pos, SIGNATURE.length);
        pos += SIGNATURE.length;
        pos = putInt(buf, pos, 0);
        return putInt(buf, pos, 0);
    }

    /** Writes one row at {@code pos}; returns the position after it. */
    public static int row(byte[] buf, int pos, long seriesId, long timestampMs, double value) {
        pos = putShort(buf, pos, 3);
        pos = putInt(buf, pos, 8);
        pos = putLong(buf, pos, seriesId);
        pos = putInt(buf, pos, 8);
        pos = putLong(buf, pos, (timestampMs - PG_EPOCH_MS) * 1000L);
        pos = putInt(buf, pos, 8);
        return putLong(buf, pos, Double.doubleToLongBits(value));
    }

    /** Writes the trailer at {@code pos}; returns the position after it. */
    public static int trailer(byte[] buf, int pos) {
        return putShort(buf, pos, -1);
    }

    private static int putShort(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 8);
        b[p + 1] = (byte) v;
        return p + 2;
    }

    private static int putInt(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 24);
        b[p + 1] = (byte) (v >>> 16);
        b[p + 2] = (byte) (v >>> 8);
        b[p + 3] = (byte) v;
        return p + 4;
    }

    private static int putLong(byte[] b, int p, long v) {
        b[p] = (byte) (v >>> 56);
        b[p + 1] = (byte) (v >>> 48);
        b[p + 2] = (byte) (v >>> 40);
        b[p + 3] = (byte) (v >>> 32);
        b[p + 4] = (byte) (v >>> 24);
        b[p + 5] = (byte) (v >>> 16);
        b[p + 6] = (byte) (v >>> 8);
        b[p + 7] = (byte) v;
        return p + 8;
    }
}
