package io.mpipe.common.wire;

import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;
import java.nio.charset.StandardCharsets;

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
 * <p>One decoder per thread: it is reused for every record.
 */
public final class SampleDecoder {
    private final CanonicalJson.Shape shape = new CanonicalJson.Shape();
    private byte[] keyBuffer = new byte[256];
    private boolean fast;
    private Metric metric;
    private String key;
    private long timestamp;
    private double value;

    /**
     * Decodes one record value; then {@link #key()}, {@link #timestamp()} and {@link #value()}
     * are its.
     *
     * @throws MetricDecodeException naming the field and the reason, as {@link MetricJson#decode}
     *                               and {@link MetricRules#checkSeriesKey} would
     */
    public void decode(byte[] bytes) {
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
            try {
                metric = shape.metric();
            } catch (InvalidMetricException e) {
                throw new MetricDecodeException(e.field(), e.reason());
            }
        }
        return metric;
    }
}
