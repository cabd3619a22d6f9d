package io.mpipe.collector.replay;

import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;
import java.util.Objects;

/**
 * One line of an OpenMetrics or Prometheus text file to a {@link ReplayLine}; pure.
 *
 * <p>Reads what {@code promtool tsdb create-blocks-from openmetrics} reads:
 * {@code name{label="value",...} value timestamp}, the labels optional, with the Prometheus
 * escapes {@code \\}, {@code \"} and {@code \n} in label values (any other backslash is kept as
 * it is, as Prometheus does). Values are numbers, {@code NaN}, {@code +Inf} and {@code -Inf}.
 * Runs of blanks separate the parts, as the Prometheus format allows. Comment lines
 * ({@code # HELP}, {@code # TYPE}, {@code # UNIT}, any other {@code #}) yield nothing; the
 * reader stops at {@code # EOF}. An exemplar after the sample ({@code # {trace_id="..."} 1}) is
 * ignored. Every sample needs a timestamp: replay keeps original timestamps and has no "now"
 * to give one.
 *
 * <p><b>Timestamp unit.</b> OpenMetrics writes seconds (possibly fractional,
 * {@code 1520879607.789}); the Prometheus text format writes integer milliseconds
 * ({@code 1520879607789}). A file only declares itself OpenMetrics with the {@code # EOF} on its
 * last line, which a streaming reader sees too late, so the unit is decided per timestamp by
 * {@link TimestampFormat#parseEpoch}: a fraction, an exponent or a magnitude below
 * 10<sup>11</sup> means seconds, anything else milliseconds. That reads both formats correctly
 * for every timestamp from 1973-03-03 to 2100 (seconds never reach 10<sup>11</sup> before the
 * year 5138, and milliseconds pass it on 1973-03-03); an earlier Prometheus millisecond
 * timestamp would be taken for seconds, which lands after 2100 and is rejected, except in the
 * first seven weeks of 1970.
 *
 * <p>Not thread-safe (it reuses a buffer); one per reader.
 */
final class OpenMetricsParser {
    private final ReplayOptions options;
    private final StringBuilder value = new StringBuilder(64);

    OpenMetricsParser(ReplayOptions options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /** True for the {@code # EOF} line that ends an OpenMetrics exposition. */
    static boolean isEof(String line) {
        return line.strip().equals("# EOF");
    }

    /** True when {@code line} has the shape of a sample: {@code name{...}} or {@code name value ...}. */
    static boolean looksLikeSample(String line) {
        int n = line.length();
        int end = 0;
        while (end < n && line.charAt(end) != '{' && !isBlank(line.charAt(end))) {
            end++;
        }
        if (!MetricRules.isValidName(line.substring(0, end))) {
            return false;
        }
        if (end < n && line.charAt(end) == '{') {
            return true;
        }
        String rest = line.substring(end).strip();
        if (rest.isEmpty()) {
            return false;
        }
        String[] parts = rest.split("[ \t]+", 3);
        try {
            ValueFormat.parse(parts[0]);
        } catch (BadFieldException e) {
            return false;
        }
        return parts.length == 1 || parts[1].startsWith("#") || ValueFormat.isDecimal(parts[1]);
    }

    /**
     * Parses one line.
     *
     * @return the sample's {@code Good} or {@code Bad}, or null for a blank or comment line
     */
    ReplayLine parse(long line, String s) {
        int n = s.length();
        int i = skipBlanks(s, 0);
        if (i == n || s.charAt(i) == '#') {
            return null;
        }
        try {
            int nameEnd = i;
            while (nameEnd < n && s.charAt(nameEnd) != '{' && !isBlank(s.charAt(nameEnd))) {
                nameEnd++;
            }
            if (nameEnd == i) {
                throw new BadFieldException("name", "missing before '{'");
            }
            String name = s.substring(i, nameEnd);
            i = skipBlanks(s, nameEnd);
            Labels labels = Labels.EMPTY;
            if (i < n && s.charAt(i) == '{') {
                Labels.Builder b = Labels.builder();
                i = parseLabels(s, i + 1, b);
                labels = b.build();
                i = skipBlanks(s, i);
            }
            int valueEnd = tokenEnd(s, i);
            if (valueEnd == i) {
                throw new BadFieldException("value", "missing");
            }
            double v = ValueFormat.parse(s.substring(i, valueEnd));
            i = skipBlanks(s, valueEnd);
            if (i == n || s.charAt(i) == '#') {
                throw new BadFieldException("timestamp", "missing; replay keeps original timestamps");
            }
            int tsEnd = tokenEnd(s, i);
            long ts = TimestampFormat.parseEpoch(s.substring(i, tsEnd));
            i = skipBlanks(s, tsEnd);
            if (i < n && s.charAt(i) != '#') {
                throw new BadFieldException("line", "unexpected " + BadFieldException.quote(s.substring(i))
                        + " after the timestamp");
            }
            return new ReplayLine.Good(line, options.withExtraLabels(new Metric(name, ts, v, labels)));
        } catch (BadFieldException e) {
            return ReplayLine.Bad.of(line, e.field(), e.reason());
        } catch (InvalidMetricException e) {
            return ReplayLine.Bad.of(line, e.field(), e.reason());
        }
    }

    /** Parses {@code label="value",...}} from just after the brace; returns the index after the closing brace. */
    private int parseLabels(String s, int i, Labels.Builder b) {
        int n = s.length();
        while (true) {
            i = skipBlanks(s, i);
            if (i == n) {
                throw new BadFieldException("labels", "missing '}'");
            }
            if (s.charAt(i) == '}') {
                return i + 1;
            }
            int nameStart = i;
            while (i < n && "=,}\"".indexOf(s.charAt(i)) < 0 && !isBlank(s.charAt(i))) {
                i++;
            }
            if (i == nameStart) {
                throw new BadFieldException("labels", "expected a label name at column " + (i + 1));
            }
            String labelName = s.substring(nameStart, i);
            String field = "labels." + BadFieldException.abbreviate(labelName);
            i = skipBlanks(s, i);
            if (i == n || s.charAt(i) != '=') {
                throw new BadFieldException(field, "expected '=' at column " + (i + 1));
            }
            i = skipBlanks(s, i + 1);
            if (i == n || s.charAt(i) != '"') {
                throw new BadFieldException(field, "expected '\"' at column " + (i + 1));
            }
            i++;
            value.setLength(0);
            boolean closed = false;
            while (i < n) {
                char c = s.charAt(i++);
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\' && i < n) {
                    char e = s.charAt(i++);
                    switch (e) {
                        case '\\' -> value.append('\\');
                        case '"' -> value.append('"');
                        case 'n' -> value.append('\n');
                        default -> value.append('\\').append(e);
                    }
                } else {
                    value.append(c);
                }
            }
            if (!closed) {
                throw new BadFieldException(field, "value is not closed by '\"'");
            }
            b.put(labelName, value.toString());
            i = skipBlanks(s, i);
            if (i < n && s.charAt(i) == ',') {
                i++;
            } else if (i < n && s.charAt(i) == '}') {
                return i + 1;
            } else {
                throw new BadFieldException("labels", "expected ',' or '}' at column " + (i + 1));
            }
        }
    }

    private static int skipBlanks(String s, int i) {
        while (i < s.length() && isBlank(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int tokenEnd(String s, int i) {
        while (i < s.length() && !isBlank(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }
}
