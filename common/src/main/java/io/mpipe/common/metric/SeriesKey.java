package io.mpipe.common.metric;

import java.util.Map;

/**
 * The canonical series key: {@code name{k1="v1",k2="v2"}} with labels sorted by name and values
 * escaped as in the Prometheus text format ({@code \\}, {@code \"}, {@code \n}); a series with no
 * labels is just {@code name}. Two metrics belong to the same series exactly when their keys are
 * equal, so the key is what the topic is partitioned by and what the sink and the exporter index.
 */
public final class SeriesKey {

    private SeriesKey() {
    }

    /** A parsed key. */
    public record Parsed(String name, Labels labels) {
    }

    public static String format(String name, Labels labels) {
        if (labels.isEmpty()) {
            return name;
        }
        StringBuilder sb = new StringBuilder(name.length() + 16 * labels.size());
        sb.append(name).append('{');
        for (int i = 0; i < labels.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(labels.nameAt(i)).append("=\"");
            escapeLabelValue(labels.valueAt(i), sb);
            sb.append('"');
        }
        return sb.append('}').toString();
    }

    public static String format(String name, Map<String, String> labels) {
        return format(name, Labels.of(labels));
    }

    /** Appends {@code value} escaped as a Prometheus label value (without the quotes). */
    public static void escapeLabelValue(String value, StringBuilder out) {
        int n = value.length();
        int first = 0;
        while (first < n) {
            char c = value.charAt(first);
            if (c == '\\' || c == '"' || c == '\n') {
                break;
            }
            first++;
        }
        if (first == n) {
            out.append(value); // the common case: nothing to escape
            return;
        }
        out.append(value, 0, first);
        for (int i = first; i < n; i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
    }

    /**
     * Parses a key in the canonical form (labels in any order are accepted and sorted; whitespace
     * is not). The inverse of {@link #format}.
     *
     * @throws InvalidMetricException naming the position and what was expected
     */
    public static Parsed parse(String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidMetricException("key", "is empty");
        }
        int brace = key.indexOf('{');
        if (brace < 0) {
            MetricRules.checkName(key);
            return new Parsed(key, Labels.EMPTY);
        }
        String name = key.substring(0, brace);
        MetricRules.checkName(name);
        if (key.charAt(key.length() - 1) != '}') {
            throw new InvalidMetricException("key", "missing closing '}'");
        }
        Labels.Builder labels = Labels.builder();
        int i = brace + 1;
        int end = key.length() - 1;
        StringBuilder value = new StringBuilder();
        while (i < end) {
            int eq = key.indexOf('=', i);
            if (eq < 0 || eq >= end) {
                throw new InvalidMetricException("key", "expected '=' after label name at position " + i);
            }
            String labelName = key.substring(i, eq);
            i = eq + 1;
            if (i >= end || key.charAt(i) != '"') {
                throw new InvalidMetricException("key", "expected '\"' at position " + i);
            }
            i++;
            value.setLength(0);
            boolean closed = false;
            while (i < end) {
                char c = key.charAt(i++);
                if (c == '\\') {
                    if (i >= end) {
                        break;
                    }
                    char e = key.charAt(i++);
                    switch (e) {
                        case '\\' -> value.append('\\');
                        case '"' -> value.append('"');
                        case 'n' -> value.append('\n');
                        default -> throw new InvalidMetricException("key", "unknown escape '\\" + e
                                + "' at position " + (i - 2));
                    }
                } else if (c == '"') {
                    closed = true;
                    break;
                } else {
                    value.append(c);
                }
            }
            if (!closed) {
                throw new InvalidMetricException("key", "unterminated label value for '" + labelName + "'");
            }
            labels.put(labelName, value.toString());
            if (i < end) {
                if (key.charAt(i) != ',') {
                    throw new InvalidMetricException("key", "expected ',' at position " + i);
                }
                i++;
                if (i == end) {
                    break; // trailing comma, as Prometheus allows
                }
            }
        }
        return new Parsed(name, labels.build());
    }
}
