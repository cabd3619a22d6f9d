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
     * Slots of the known-series table: four-way set-associative, each series seen taking about 360
     * bytes (a 256-byte block for its bytes before the timestamp and after the value, its key), so
     * at most about 12 MB per decoder however many series pass, and 896 KB for the slots themselves.
     */
    static final int KNOWN_SLOTS = 1 << 15;
    /** Slots in a set: a series may be in any of them. */
    static final int WAYS = 4;
    /**
     * Bytes a series' entry (its bytes before the timestamp and after the value) may take in the
     * arena; a longer one gets an array of its own.
     */
    static final int BLOCK = 256;
    /** Blocks in one chunk of the arena (16 KB): the arena grows a chunk at a time. */
    private static final int CHUNK_SHIFT = 6;
    private static final int CHUNK_MASK = (1 << CHUNK_SHIFT) - 1;
    /** The second-chance mark in a slot's second word. */
    private static final long USED = 1L << 63;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final CanonicalJson.Shape shape = new CanonicalJson.Shape();
    /**
     * Two words a slot, so that a set is probed in one or two cache lines: the record key's hash
     * and the slot's arena block plus one (0: none yet); then the second-chance mark, the length
     * of the bytes before the timestamp and the length of the entry (0: the slot is empty).
     */
    private final long[] slots;
    /** The key of each slot's series. */
    private final String[] keys;
    /** What the decoder's user attached to each slot's series ({@link #attach}). */
    private final Object[] attachments;
    /** The slot of the series of the record decoded last, or -1 when the decoder does not remember it. */
    private int lastSlot = -1;
    /** An entry longer than {@link #BLOCK}, by slot; null for one in the arena. */
    private final byte[][] longEntries;
    /**
     * The arena: a slot's entry is in the block given in its first word, a block a slot keeps once
     * it has one. Entries are found from the slot's words alone, with no object in between.
     */
    private byte[][] chunks = new byte[1][];
    private int blocksUsed;
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
        this.slots = new long[2 * slots];
        keys = new String[slots];
        attachments = new Object[slots];
        longEntries = new byte[slots][];
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
        lastSlot = -1;
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
        int hit = -1;
        for (int i = set; i < set + WAYS; i++) {
            long first = slots[2 * i];
            if ((int) (first >>> 32) == h) {
                long second = slots[2 * i + 1];
                if (second != 0 && matches(i, (int) first - 1, second, bytes)) {
                    hit = i;
                    break;
                }
            }
        }
        if (hit >= 0 && shape.timestamp < MetricRules.MAX_TIMESTAMP_MS) {
            slots[2 * hit + 1] |= USED;
            lastSlot = hit;
            fromKnown = true;
            fast = true;
            metric = null;
            lastBytes = bytes;
            key = keys[hit];
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
     * True when {@code b} is the record of slot {@code slot}'s series with some timestamp and value
     * (read into the shape): its bytes before the timestamp and after the value are the entry's.
     */
    private boolean matches(int slot, int block, long second, byte[] b) {
        int head = (int) (second >>> 32) & Integer.MAX_VALUE;
        int length = (int) second;
        byte[] entry;
        int at;
        if (length <= BLOCK) {
            entry = chunks[block >>> CHUNK_SHIFT];
            at = (block & CHUNK_MASK) * BLOCK;
        } else {
            entry = longEntries[slot];
            at = 0;
        }
        int n = b.length;
        int sampleEnd = n - (length - head);
        if (sampleEnd <= head
                || !Arrays.equals(b, 0, head, entry, at, at + head)
                || !Arrays.equals(b, sampleEnd, n, entry, at + head, at + length)) {
            return false;
        }
        return CanonicalJson.scanSample(b, head, sampleEnd, shape) == sampleEnd;
    }

    /**
     * Puts the series just decoded in a free slot of its set, or in one whose series was not read
     * since the set was last full (a second chance); when every series in the set was, none is
     * replaced, and all lose their mark.
     */
    private void remember(int set, byte[] bytes, int h) {
        int way = -1;
        for (int i = set; i < set + WAYS && way < 0; i++) {
            if (slots[2 * i + 1] == 0) {
                way = i;
            }
        }
        for (int i = set; i < set + WAYS && way < 0; i++) {
            if ((slots[2 * i + 1] & USED) == 0) {
                way = i;
            }
        }
        if (way < 0) {
            for (int i = set; i < set + WAYS; i++) {
                slots[2 * i + 1] &= ~USED;
            }
            return;
        }
        int head = shape.timestampStart;
        int tail = bytes.length - shape.valueEnd;
        int length = head + tail;
        int block = (int) slots[2 * way] - 1;
        if (length <= BLOCK) {
            if (block < 0) {
                block = newBlock();
            }
            byte[] chunk = chunks[block >>> CHUNK_SHIFT];
            int at = (block & CHUNK_MASK) * BLOCK;
            System.arraycopy(bytes, 0, chunk, at, head);
            System.arraycopy(bytes, shape.valueEnd, chunk, at + head, tail);
            longEntries[way] = null;
        } else {
            byte[] entry = new byte[length];
            System.arraycopy(bytes, 0, entry, 0, head);
            System.arraycopy(bytes, shape.valueEnd, entry, head, tail);
            longEntries[way] = entry;
        }
        slots[2 * way] = (long) h << 32 | ((block + 1) & 0xFFFFFFFFL);
        slots[2 * way + 1] = (long) head << 32 | length;
        keys[way] = key;
        attachments[way] = null;
        lastSlot = way;
    }

    /** A block of the arena for a slot that has none, growing the arena by a chunk when it is full. */
    private int newBlock() {
        int block = blocksUsed++;
        int chunk = block >>> CHUNK_SHIFT;
        if (chunk == chunks.length) {
            chunks = Arrays.copyOf(chunks, 2 * chunks.length);
        }
        if (chunks[chunk] == null) {
            chunks[chunk] = new byte[BLOCK << CHUNK_SHIFT];
        }
        return block;
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

    /**
     * What {@link #attach} attached to the series of the record decoded last, while the decoder
     * remembers the series; null when nothing was, or the decoder does not remember it (the record
     * was decoded without a key hint, or its series is not in the table).
     */
    public Object attachment() {
        return lastSlot < 0 ? null : attachments[lastSlot];
    }

    /**
     * Attaches {@code o} to the series of the record decoded last, for as long as the decoder
     * remembers the series, so that a later record of it gives {@code o} back from
     * {@link #attachment()} without a lookup of the key; does nothing when the decoder does not
     * remember the series. A series the decoder forgets takes its attachment with it.
     */
    public void attach(Object o) {
        if (lastSlot >= 0) {
            attachments[lastSlot] = o;
        }
    }

    /**
     * Checks that {@code recordKey}, the key of the record decoded last, is its canonical series
     * key as UTF-8 ({@link #key()}): the topic is partitioned by the key, so a record whose key
     * names another series (or none) lands in a partition that does not hold its series, and the
     * sink and the exporter would each see the series in two places.
     *
     * @throws MetricDecodeException with the field {@code key} when it is missing or not the series key
     */
    public void checkKey(byte[] recordKey) {
        if (recordKey == null) {
            throw new MetricDecodeException("key", "is missing; it must be the series key " + abbreviate(key));
        }
        if (!isKey(recordKey, key)) {
            throw new MetricDecodeException("key", recordKey.length == 0 ? "is empty; it must be the series key "
                    + abbreviate(key) : "'" + abbreviate(new String(recordKey, StandardCharsets.UTF_8))
                    + "' is not the series key of the value, " + abbreviate(key));
        }
    }

    /** True when {@code bytes} is {@code key} in UTF-8; without a copy when the key is ASCII. */
    static boolean isKey(byte[] bytes, String key) {
        int n = key.length();
        if (bytes.length == n) {
            int i = 0;
            while (i < n && key.charAt(i) < 0x80 && bytes[i] == key.charAt(i)) {
                i++;
            }
            if (i == n) {
                return true;
            }
            if (key.charAt(i) < 0x80) {
                return false; // an ASCII character differs
            }
        } else if (bytes.length < n) {
            return false; // UTF-8 takes at least a byte for each UTF-16 unit
        }
        return Arrays.equals(bytes, key.getBytes(StandardCharsets.UTF_8));
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
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
