package io.mpipe.common.wire;

import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes record values into the three things a store needs for a sample: the canonical series
 * key, the timestamp and the value, checked in full as {@link MetricJson#decode} checks them. The
 * {@link Metric} itself (name and labels as strings) is only built when asked for
 * ({@link #metric()}), which a store does for a series it does not hold yet.
 *
 * <p>Records in the exact shape the pipeline writes (see {@link MetricJson#encode}, labels in
 * name order) are read without a parser, checked on their bytes, and make no string but the key;
 * anything else goes through {@link MetricJson#decode}. Either way {@link #key()} is what
 * {@link Metric#seriesKey()} of the decoded metric would be, and a record either decoder refuses
 * is refused with the same field and reason.
 *
 * <p>Given the record's key too ({@link #decode(byte[], byte[])}), it remembers the series it has
 * seen: a record of a known series, byte for byte the same as the first one read except for its
 * timestamp and value, is read by comparing those bytes and reading the timestamp and the value,
 * and gives the very same key string (its hash already computed, and equal to the one a store holds
 * by identity). The record key only says where to look; what is compared is the value.
 *
 * <p>One decoder per thread: it is reused for every record.
 */
public final class SampleDecoder {
    /**
     * Slots of the known-series table: four-way set-associative, each entry about 230 bytes for a
     * series seen, so at most about 7.5 MB per decoder however many series pass (and 256 KB for
     * the slots and their hashes).
     */
    static final int KNOWN_SLOTS = 1 << 15;
    /** Slots in a set: a series may be in any of them. */
    static final int WAYS = 4;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final CanonicalJson.Shape shape = new CanonicalJson.Shape();
    private final Known[] known;
    /** The hash of each slot's entry, so that a set is probed in one cache line. */
    private final int[] hashes;
    /** Selects the first slot of a set. */
    private final int setMask;
    /** True when the last record was read as a known series (the shape's label bounds are not its). */
    private boolean fromKnown;
    private byte[] lastBytes;
    private byte[] keyBuffer = new byte[256];
    private boolean fast;
    private Metric metric;
    private String key;
    private long timestamp;
    private double value;

    /** A decoder whose table has {@link #KNOWN_SLOTS} slots. */
    public SampleDecoder() {
        this(KNOWN_SLOTS);
    }

    /** A decoder whose table has {@code slots} slots: a power of two, at least one set ({@value #WAYS}). */
    SampleDecoder(int slots) {
        if (slots < WAYS || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots: " + slots + " is not a power of two >= " + WAYS);
        }
        known = new Known[slots];
        hashes = new int[slots];
        setMask = slots - WAYS;
    }

    /**
     * Decodes one record value; then {@link #key()}, {@link #timestamp()} and {@link #value()}
     * are its.
     *
     * @throws MetricDecodeException naming the field and the reason, as {@link MetricJson#decode}
     *                               and {@link MetricRules#checkSeriesKey} would
     */
    public void decode(byte[] bytes) {
        fromKnown = false;
        if (bytes == null || bytes.length > MetricJson.MAX_RECORD_BYTES
                || !CanonicalJson.scan(bytes, 0, bytes.length, shape) || !buildKey()) {
            full(bytes);
            return;
        }
        fast = true;
        metric = null;
        timestamp = shape.timestamp;
        value = shape.value;
        if (!obviouslyValid()) {
            metric(); // the rules say exactly what is wrong (and build the metric when nothing is)
        }
        checkKeySize();
    }

    /**
     * Decodes one record value as {@link #decode(byte[])} does, with the record's key as a hint:
     * a record of a series seen before is read without scanning its name and labels again.
     *
     * @param keyHint the record's key (the series key its producer claims), or null
     * @throws MetricDecodeException as {@link #decode(byte[])}
     */
    public void decode(byte[] keyHint, byte[] bytes) {
        if (keyHint == null || bytes == null) {
            decode(bytes);
            return;
        }
        int h = hash(keyHint);
        int set = h & setMask;
        Known k = null;
        for (int i = set; i < set + WAYS; i++) {
            if (hashes[i] == h && known[i] != null && known[i].matches(bytes, shape)) {
                k = known[i];
                break;
            }
        }
        if (k != null && shape.timestamp < MetricRules.MAX_TIMESTAMP_MS) {
            k.used = true;
            fromKnown = true;
            fast = true;
            metric = null;
            lastBytes = bytes;
            key = k.key;
            timestamp = shape.timestamp;
            value = shape.value;
            return;
        }
        decode(bytes); // throws for a record that is not valid: nothing is remembered
        if (fast) {
            remember(set, bytes, h);
        }
    }

    /**
     * Puts the series just decoded in a free slot of its set, or in one whose series was not read
     * since the set was last full (a second chance); when every series in the set was, none is
     * replaced, and all lose their mark.
     */
    private void remember(int set, byte[] bytes, int h) {
        int way = -1;
        for (int i = set; i < set + WAYS && way < 0; i++) {
            if (known[i] == null) {
                way = i;
            }
        }
        for (int i = set; i < set + WAYS && way < 0; i++) {
            if (!known[i].used) {
                way = i;
            }
        }
        if (way >= 0) {
            known[way] = new Known(bytes, shape.timestampStart, shape.valueEnd, key);
            hashes[way] = h;
            return;
        }
        for (int i = set; i < set + WAYS; i++) {
            known[i].used = false;
        }
    }

    /**
     * A series seen: its first record's bytes before the timestamp and after the value (one array,
     * so comparing them touches two objects), and its key.
     */
    private static final class Known {
        final byte[] bytes;
        final int headLength;
        final String key;
        boolean used;

        Known(byte[] b, int timestampStart, int valueEnd, String key) {
            int tail = b.length - valueEnd;
            this.bytes = new byte[timestampStart + tail];
            System.arraycopy(b, 0, bytes, 0, timestampStart);
            System.arraycopy(b, valueEnd, bytes, timestampStart, tail);
            this.headLength = timestampStart;
            this.key = key;
        }

        /** True when {@code b} is this series' record with some timestamp and value (read into {@code s}). */
        boolean matches(byte[] b, CanonicalJson.Shape s) {
            int n = b.length;
            int h = headLength;
            int tail = bytes.length - h;
            int sampleEnd = n - tail;
            if (sampleEnd <= h
                    || !Arrays.equals(b, 0, h, bytes, 0, h)
                    || !Arrays.equals(b, sampleEnd, n, bytes, h, bytes.length)) {
                return false;
            }
            return CanonicalJson.scanSample(b, h, sampleEnd, s) == sampleEnd;
        }
    }

    /**
     * A hash of the record key, eight bytes at a time: each word multiplied and rotated into the
     * state, then the state mixed (MurmurHash3's finalizer), so that keys differing in one byte
     * anywhere land in different slots.
     */
    static int hash(byte[] b) {
        long h = b.length;
        int i = 0;
        for (; i + 8 <= b.length; i += 8) {
            h = Long.rotateLeft(h ^ ((long) LONGS.get(b, i) * 0x9E3779B97F4A7C15L), 31) * 0xBF58476D1CE4E5B9L;
        }
        for (; i < b.length; i++) {
            h = Long.rotateLeft(h ^ (b[i] * 0x9E3779B97F4A7C15L), 31) * 0xBF58476D1CE4E5B9L;
        }
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int) h;
    }

    /**
     * True when the scanned record passes the metric rules, checked on its bytes; false when it
     * may not (the caller then lets the rules decide). Labels are in strictly increasing name
     * order and no value is empty (else {@link #buildKey} refused), so there are no duplicates,
     * and values in the canonical shape are ASCII, one byte a character.
     */
    private boolean obviouslyValid() {
        CanonicalJson.Shape s = shape;
        byte[] b = s.src;
        if (s.timestamp >= MetricRules.MAX_TIMESTAMP_MS || s.labels > MetricRules.MAX_LABELS
                || s.nameEnd - s.nameStart > MetricRules.MAX_NAME_LENGTH
                || !matches(b, s.nameStart, s.nameEnd, true)) {
            return false;
        }
        int[] x = s.bounds;
        for (int i = 0; i < s.labels; i++) {
            int j = 4 * i;
            int from = x[j];
            int to = x[j + 1];
            if (to - from > MetricRules.MAX_LABEL_NAME_LENGTH || !matches(b, from, to, false)
                    || (to - from >= 2 && b[from] == '_' && b[from + 1] == '_')
                    || x[j + 3] - x[j + 2] > MetricRules.MAX_LABEL_VALUE_LENGTH) {
                return false;
            }
        }
        return true;
    }

    /** {@value MetricRules#NAME_PATTERN} (colons allowed) or {@value MetricRules#LABEL_NAME_PATTERN}. */
    private static boolean matches(byte[] b, int from, int to, boolean colons) {
        if (from == to) {
            return false;
        }
        for (int i = from; i < to; i++) {
            byte c = b[i];
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colons && c == ':')
                    || (i > from && c >= '0' && c <= '9');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The key-size bound the sink enforces, reported as the full decoder reports errors. */
    private void checkKeySize() {
        try {
            MetricRules.checkSeriesKey(key);
        } catch (InvalidMetricException e) {
            throw new MetricDecodeException(e.field(), e.reason());
        }
    }

    private void full(byte[] bytes) {
        fast = false;
        metric = MetricJson.decode(bytes);
        key = metric.seriesKey();
        timestamp = metric.timestamp();
        value = metric.value();
        checkKeySize();
    }

    /**
     * Builds {@code name{k="v",...}} from the bytes when it equals the canonical key: labels in
     * strictly increasing name order, no empty value (the rules drop those). Strings in the
     * canonical shape have nothing to escape. False otherwise (the full path builds it).
     */
    private boolean buildKey() {
        CanonicalJson.Shape s = shape;
        byte[] src = s.src;
        int nameLength = s.nameEnd - s.nameStart;
        if (s.labels == 0) {
            key = new String(src, s.nameStart, nameLength, StandardCharsets.ISO_8859_1);
            return true;
        }
        int[] x = s.bounds;
        int length = nameLength + 2;
        for (int i = 0; i < s.labels; i++) {
            int j = 4 * i;
            if (x[j + 3] == x[j + 2] || (i > 0 && compare(src, x[j - 4], x[j - 3], x[j], x[j + 1]) >= 0)) {
                return false;
            }
            length += (x[j + 1] - x[j]) + (x[j + 3] - x[j + 2]) + 4;
        }
        length--; // no comma after the last label
        byte[] k = keyBuffer.length >= length ? keyBuffer : (keyBuffer = new byte[Math.max(length, 2 * keyBuffer.length)]);
        System.arraycopy(src, s.nameStart, k, 0, nameLength);
        int p = nameLength;
        k[p++] = '{';
        for (int i = 0; i < s.labels; i++) {
            int j = 4 * i;
            if (i > 0) {
                k[p++] = ',';
            }
            System.arraycopy(src, x[j], k, p, x[j + 1] - x[j]);
            p += x[j + 1] - x[j];
            k[p++] = '=';
            k[p++] = '"';
            System.arraycopy(src, x[j + 2], k, p, x[j + 3] - x[j + 2]);
            p += x[j + 3] - x[j + 2];
            k[p++] = '"';
        }
        k[p++] = '}';
        key = new String(k, 0, p, StandardCharsets.ISO_8859_1);
        return true;
    }

    /** Compares two ASCII byte ranges as {@link String#compareTo} compares the strings. */
    private static int compare(byte[] b, int aStart, int aEnd, int bStart, int bEnd) {
        int n = Math.min(aEnd - aStart, bEnd - bStart);
        for (int i = 0; i < n; i++) {
            int c = b[aStart + i] - b[bStart + i];
            if (c != 0) {
                return c;
            }
        }
        return (aEnd - aStart) - (bEnd - bStart);
    }

    /** The canonical series key of the record decoded last. */
    public String key() {
        return key;
    }

    public long timestamp() {
        return timestamp;
    }

    public double value() {
        return value;
    }

    /** The record decoded last as a metric. */
    public Metric metric() {
        if (metric == null && fast) {
            if (fromKnown) {
                CanonicalJson.scan(lastBytes, 0, lastBytes.length, shape); // the label bounds are those of another record
                fromKnown = false;
            }
            try {
                metric = shape.metric();
            } catch (InvalidMetricException e) {
                throw new MetricDecodeException(e.field(), e.reason());
            }
        }
        return metric;
    }
}
