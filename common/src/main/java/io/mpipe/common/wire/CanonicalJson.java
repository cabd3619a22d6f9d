package io.mpipe.common.wire;

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
     * The metric, or null when {@code b} is not in the canonical shape.
     *
     * @throws io.mpipe.common.metric.InvalidMetricException when it is, but breaks the metric rules
     */
    static Metric tryDecode(byte[] b, int off, int len) {
        int end = off + len;
        int p = expect(b, off, end, NAME);
        if (p < 0) {
            return null;
        }
        int nameEnd = stringEnd(b, p, end);
        if (nameEnd < 0) {
            return null;
        }
        String name = new String(b, p, nameEnd - p, StandardCharsets.ISO_8859_1);
        p = expect(b, nameEnd + 1, end, TIMESTAMP);
        if (p < 0) {
            return null;
        }
        int tsEnd = p;
        while (tsEnd < end && b[tsEnd] >= '0' && b[tsEnd] <= '9') {
            tsEnd++;
        }
        int digits = tsEnd - p;
        if (digits == 0 || digits > 18 || (digits > 1 && b[p] == '0')) {
            return null; // negative, empty, leading zero or possibly out of range: let Jackson say so
        }
        long ts = 0;
        for (int i = p; i < tsEnd; i++) {
            ts = ts * 10 + (b[i] - '0');
        }
        p = expect(b, tsEnd, end, VALUE);
        if (p < 0) {
            return null;
        }
        double value;
        int valueEnd;
        if (p < end && b[p] == '"') {
            int close = stringEnd(b, p + 1, end);
            if (close < 0) {
                return null;
            }
            String s = new String(b, p + 1, close - p - 1, StandardCharsets.ISO_8859_1);
            switch (s) {
                case MetricJson.NAN -> value = Double.NaN;
                case MetricJson.POS_INF -> value = Double.POSITIVE_INFINITY;
                case MetricJson.NEG_INF -> value = Double.NEGATIVE_INFINITY;
                default -> {
                    return null;
                }
            }
            valueEnd = close + 1;
        } else {
            valueEnd = jsonNumberEnd(b, p, end);
            if (valueEnd < 0) {
                return null;
            }
            value = Double.parseDouble(new String(b, p, valueEnd - p, StandardCharsets.ISO_8859_1));
        }
        p = expect(b, valueEnd, end, LABELS);
        if (p < 0) {
            return null;
        }
        Labels.Builder labels = Labels.builder();
        if (p < end && b[p] == '}') {
            p++;
        } else {
            while (true) {
                if (p >= end || b[p] != '"') {
                    return null;
                }
                int kEnd = stringEnd(b, p + 1, end);
                if (kEnd < 0 || kEnd + 2 >= end || b[kEnd + 1] != ':' || b[kEnd + 2] != '"') {
                    return null;
                }
                int vStart = kEnd + 3;
                int vEnd = stringEnd(b, vStart, end);
                if (vEnd < 0) {
                    return null;
                }
                labels.put(new String(b, p + 1, kEnd - p - 1, StandardCharsets.ISO_8859_1),
                        new String(b, vStart, vEnd - vStart, StandardCharsets.ISO_8859_1));
                p = vEnd + 1;
                if (p < end && b[p] == ',') {
                    p++;
                } else if (p < end && b[p] == '}') {
                    p++;
                    break;
                } else {
                    return null;
                }
            }
        }
        if (p != end - 1 || b[p] != '}') {
            return null;
        }
        return new Metric(name, ts, value, labels.build());
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
