package io.mpipe.common.wire;

import com.fasterxml.jackson.core.io.NumberInput;
import com.fasterxml.jackson.core.io.NumberOutput;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import java.nio.charset.StandardCharsets;

/**
 * A fast path for decoding the exact shape {@link MetricJson#encode} writes:
 * {@code {"name":"..","timestamp":N,"value":X,"labels":{"k":"v",...}}}, no whitespace, ASCII
 * strings without escapes. It reads that shape byte by byte with no parser object; anything else
 * (whitespace, other field orders or fields, escapes, non-ASCII, unusual numbers) returns null and
 * the caller decodes with Jackson, which also produces every error message. So a record decodes to
 * the same metric either way; the fast path only saves time on what this pipeline writes itself.
 */
final class CanonicalJson {
    private static final byte[] NAME = bytes("{\"name\":\"");
    private static final byte[] TIMESTAMP = bytes(",\"timestamp\":");
    private static final byte[] VALUE = bytes(",\"value\":");
    private static final byte[] LABELS = bytes(",\"labels\":{");

    private CanonicalJson() {
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Where the parts of one record in the canonical shape are: offsets into the scanned bytes,
     * the timestamp and the value. Reusable; not thread-safe.
     */
    static final class Shape {
        byte[] src;
        int nameStart;
        int nameEnd;
        /** Where the timestamp's digits start, and where the value ends: what lies between varies per sample. */
        int timestampStart;
        int valueEnd;
        long timestamp;
        double value;
        int labels;
        /** Per label: name start, name end, value start, value end. */
        int[] bounds = new int[4 * 8];

        String name() {
            return new String(src, nameStart, nameEnd - nameStart, StandardCharsets.ISO_8859_1);
        }

        /** The metric, its name and labels checked by the metric rules. */
        Metric metric() {
            Labels.Builder b = Labels.builder();
            for (int i = 0; i < labels; i++) {
                int[] x = bounds;
                int j = 4 * i;
                b.put(new String(src, x[j], x[j + 1] - x[j], StandardCharsets.ISO_8859_1),
                        new String(src, x[j + 2], x[j + 3] - x[j + 2], StandardCharsets.ISO_8859_1));
            }
            return new Metric(name(), timestamp, value, b.build());
        }

        private void addLabel(int kStart, int kEnd, int vStart, int vEnd) {
            int j = 4 * labels;
            if (j + 4 > bounds.length) {
                bounds = java.util.Arrays.copyOf(bounds, bounds.length * 2);
            }
            bounds[j] = kStart;
            bounds[j + 1] = kEnd;
            bounds[j + 2] = vStart;
            bounds[j + 3] = vEnd;
            labels++;
        }
    }

    /**
     * The metric, or null when {@code b} is not in the canonical shape.
     *
     * @throws io.mpipe.common.metric.InvalidMetricException when it is, but breaks the metric rules
     */
    static Metric tryDecode(byte[] b, int off, int len) {
        Shape s = new Shape();
        return scan(b, off, len, s) ? s.metric() : null;
    }

    /**
     * Reads {@code b} into {@code s} when it is in the canonical shape (true), without making a
     * string or checking the metric rules; false for anything else.
     */
    static boolean scan(byte[] b, int off, int len, Shape s) {
        s.src = b;
        s.labels = 0;
        int end = off + len;
        int p = expect(b, off, end, NAME);
        if (p < 0) {
            return false;
        }
        int nameEnd = stringEnd(b, p, end);
        if (nameEnd < 0) {
            return false;
        }
        s.nameStart = p;
        s.nameEnd = nameEnd;
        p = expect(b, nameEnd + 1, end, TIMESTAMP);
        if (p < 0) {
            return false;
        }
        s.timestampStart = p;
        int valueEnd = scanSample(b, p, end, s);
        if (valueEnd < 0) {
            return false;
        }
        s.valueEnd = valueEnd;
        p = expect(b, valueEnd, end, LABELS);
        if (p < 0) {
            return false;
        }
        if (p < end && b[p] == '}') {
            p++;
        } else {
            while (true) {
                if (p >= end || b[p] != '"') {
                    return false;
                }
                int kEnd = stringEnd(b, p + 1, end);
                if (kEnd < 0 || kEnd + 2 >= end || b[kEnd + 1] != ':' || b[kEnd + 2] != '"') {
                    return false;
                }
                int vStart = kEnd + 3;
                int vEnd = stringEnd(b, vStart, end);
                if (vEnd < 0) {
                    return false;
                }
                s.addLabel(p + 1, kEnd, vStart, vEnd);
                p = vEnd + 1;
                if (p < end && b[p] == ',') {
                    p++;
                } else if (p < end && b[p] == '}') {
                    p++;
                    break;
                } else {
                    return false;
                }
            }
        }
        return p == end - 1 && b[p] == '}';
    }

    /**
     * Reads the part of a record that varies from sample to sample, {@code N,"value":X} from
     * {@code p} (the first digit of the timestamp) into {@code s.timestamp} and {@code s.value},
     * as {@link #scan} reads it; returns where the value ends, or -1 when it is not in the canonical
     * shape.
     */
    static int scanSample(byte[] b, int p, int end, Shape s) {
        int tsEnd = p;
        while (tsEnd < end && b[tsEnd] >= '0' && b[tsEnd] <= '9') {
            tsEnd++;
        }
        int digits = tsEnd - p;
        if (digits == 0 || digits > 18 || (digits > 1 && b[p] == '0')) {
            return -1; // negative, empty, leading zero or possibly out of range: let Jackson say so
        }
        long ts = 0;
        for (int i = p; i < tsEnd; i++) {
            ts = ts * 10 + (b[i] - '0');
        }
        s.timestamp = ts;
        p = expect(b, tsEnd, end, VALUE);
        if (p < 0) {
            return -1;
        }
        int valueEnd;
        if (p < end && b[p] == '"') {
            int close = stringEnd(b, p + 1, end);
            if (close < 0) {
                return -1;
            }
            String v = new String(b, p + 1, close - p - 1, StandardCharsets.ISO_8859_1);
            switch (v) {
                case MetricJson.NAN -> s.value = Double.NaN;
                case MetricJson.POS_INF -> s.value = Double.POSITIVE_INFINITY;
                case MetricJson.NEG_INF -> s.value = Double.NEGATIVE_INFINITY;
                default -> {
                    return -1;
                }
            }
            valueEnd = close + 1;
        } else {
            valueEnd = jsonNumberEnd(b, p, end);
            if (valueEnd < 0) {
                return -1;
            }
            s.value = parseDouble(b, p, valueEnd);
            if (Double.isInfinite(s.value)) {
                return -1; // beyond a double: Jackson's path says so
            }
        }
        return valueEnd;
    }

    /**
     * A JSON number (as {@link #jsonNumberEnd} accepts it) as a double, the same as
     * {@link Double#parseDouble}: exactly, without a string, when it has at most 15 digits and no
     * exponent (the digits are then an exact double, and so is the power of ten that scales them,
     * and one division rounds correctly); otherwise through Jackson's FastDoubleParser, which is
     * exact too.
     */
    static double parseDouble(byte[] b, int start, int end) {
        int i = start;
        boolean negative = b[i] == '-';
        if (negative) {
            i++;
        }
        long digits = 0;
        int count = 0;
        int fraction = -1;
        for (; i < end; i++) {
            byte c = b[i];
            if (c >= '0' && c <= '9') {
                digits = digits * 10 + (c - '0');
                count++;
                if (fraction >= 0) {
                    fraction++;
                }
            } else if (c == '.') {
                fraction = 0;
            } else {
                count = Integer.MAX_VALUE; // an exponent
                break;
            }
        }
        if (count > 15) {
            // the same result as Double.parseDouble, several times faster (FastDoubleParser, in Jackson)
            return NumberInput.parseDouble(new String(b, start, end - start, StandardCharsets.ISO_8859_1), true);
        }
        double v = fraction > 0 ? digits / POWERS_OF_TEN[fraction] : digits;
        return negative ? -v : v;
    }

    private static final double[] POWERS_OF_TEN = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    };

    /**
     * The metric in the canonical shape, byte for byte what Jackson writes for it, when every
     * string in it is printable ASCII without quotes or backslashes (nothing to escape); null
     * otherwise (the caller encodes with Jackson).
     */
    static byte[] tryEncode(Metric m) {
        Labels labels = m.labels();
        int n = labels.size();
        String name = m.name();
        if (!plain(name)) {
            return null;
        }
        String timestamp = Long.toString(m.timestamp());
        int length = NAME.length + name.length() + 1 + TIMESTAMP.length + timestamp.length() + VALUE.length
                + LABELS.length + 2;
        for (int i = 0; i < n; i++) {
            String k = labels.nameAt(i);
            String v = labels.valueAt(i);
            if (!plain(k) || !plain(v)) {
                return null;
            }
            length += (i > 0 ? 1 : 0) + k.length() + v.length() + 5; // [,]"k":"v"
        }
        double value = m.value();
        String number;
        if (Double.isNaN(value)) {
            number = "\"" + MetricJson.NAN + "\"";
        } else if (value == Double.POSITIVE_INFINITY) {
            number = "\"" + MetricJson.POS_INF + "\"";
        } else if (value == Double.NEGATIVE_INFINITY) {
            number = "\"" + MetricJson.NEG_INF + "\"";
        } else {
            number = NumberOutput.toString(value, true); // as Jackson's fast writer does
        }
        length += number.length();
        byte[] out = new byte[length];
        int p = put(out, 0, NAME);
        p = put(out, p, name);
        out[p++] = '"';
        p = put(out, p, TIMESTAMP);
        p = put(out, p, timestamp);
        p = put(out, p, VALUE);
        p = put(out, p, number);
        p = put(out, p, LABELS);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                out[p++] = ',';
            }
            out[p++] = '"';
            p = put(out, p, labels.nameAt(i));
            out[p++] = '"';
            out[p++] = ':';
            out[p++] = '"';
            p = put(out, p, labels.valueAt(i));
            out[p++] = '"';
        }
        out[p++] = '}';
        out[p++] = '}';
        assert p == out.length : "sized " + out.length + ", wrote " + p;
        return out;
    }

    /** Printable ASCII with no quote and no backslash: written as it is. */
    private static boolean plain(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    private static int put(byte[] out, int p, byte[] token) {
        System.arraycopy(token, 0, out, p, token.length);
        return p + token.length;
    }

    @SuppressWarnings("deprecation") // the ASCII bytes of a string known to be ASCII
    private static int put(byte[] out, int p, String ascii) {
        ascii.getBytes(0, ascii.length(), out, p);
        return p + ascii.length();
    }

    /** Position after {@code token} at {@code p}, or -1. */
    private static int expect(byte[] b, int p, int end, byte[] token) {
        if (p < 0 || end - p < token.length) {
            return -1;
        }
        for (int i = 0; i < token.length; i++) {
            if (b[p + i] != token[i]) {
                return -1;
            }
        }
        return p + token.length;
    }

    /** The closing quote of a string starting at {@code p}; -1 for escapes, control characters or non-ASCII. */
    private static int stringEnd(byte[] b, int p, int end) {
        for (int i = p; i < end; i++) {
            byte c = b[i];
            if (c == '"') {
                return i;
            }
            if (c == '\\' || c < 0x20) { // also every byte >= 0x80 (negative)
                return -1;
            }
        }
        return -1;
    }

    /** The end of a JSON number at {@code p} (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), or -1. */
    private static int jsonNumberEnd(byte[] b, int p, int end) {
        int i = p;
        if (i < end && b[i] == '-') {
            i++;
        }
        if (i >= end) {
            return -1;
        }
        if (b[i] == '0') {
            i++;
        } else if (b[i] >= '1' && b[i] <= '9') {
            while (i < end && b[i] >= '0' && b[i] <= '9') {
                i++;
            }
        } else {
            return -1;
        }
        if (i < end && b[i] == '.') {
            int start = ++i;
            while (i < end && b[i] >= '0' && b[i] <= '9') {
                i++;
            }
            if (i == start) {
                return -1;
            }
        }
        if (i < end && (b[i] == 'e' || b[i] == 'E')) {
            i++;
            if (i < end && (b[i] == '+' || b[i] == '-')) {
                i++;
            }
            int start = i;
            while (i < end && b[i] >= '0' && b[i] <= '9') {
                i++;
            }
            if (i == start) {
                return -1;
            }
        }
        return i - p > 64 ? -1 : i;
    }
}
