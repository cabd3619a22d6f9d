package io.mpipe.common.wire;

import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;
import java.nio.charset.StandardCharsets;

/**
 * Decodes record values into the three things a store that already holds the series needs: the
 * canonical series key, the timestamp and the value. The name and the labels are only checked
 * and built into a {@link Metric} when asked for ({@link #metric()}), which a store does for a
 * series it does not hold yet. A series key the store holds came from a metric that passed the
 * rules, and no other name and labels give the same key, so a sample of a held series needs no
 * more checks than its timestamp.
 *
 * <p>Records in the exact shape the pipeline writes (see {@link MetricJson#encode}, labels in
 * name order) are read without a parser and without building strings other than the key;
 * anything else goes through {@link MetricJson#decode} and is checked in full at once. Either way
 * {@link #key()} is what {@link Metric#seriesKey()} of the decoded metric would be.
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
     *                               and {@link MetricRules#checkSeriesKey} would (the name and
     *                               labels of a record in the canonical shape: in {@link #metric()})
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
        if (timestamp >= MetricRules.MAX_TIMESTAMP_MS) {
            metric(); // throws, for the name if that is wrong too, as the full path would
        }
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
        try {
            MetricRules.checkSeriesKey(key);
        } catch (InvalidMetricException e) {
            throw new MetricDecodeException(e.field(), e.reason());
        }
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

    /**
     * The record decoded last as a metric, its name and labels checked.
     *
     * @throws MetricDecodeException naming the field and the reason when they break the rules
     */
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
