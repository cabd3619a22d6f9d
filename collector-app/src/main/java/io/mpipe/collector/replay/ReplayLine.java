package io.mpipe.collector.replay;

import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricJson;
import java.util.Objects;

/**
 * What one record of a replayed file turned into: a metric, or the reason it could not become
 * one. Either way it carries the 1-based number of its line in the file as read, after
 * decompression; a CSV record that spans lines (a quoted field holding a line break) has the
 * number of its first line.
 */
public sealed interface ReplayLine permits ReplayLine.Good, ReplayLine.Bad {

    /** The 1-based line number in the (decompressed) file. */
    long line();

    /**
     * A record that became a valid metric, with its original timestamp, ready to send: its series
     * key and its value in the wire format ({@code encoded}: the line itself when the file held
     * exactly that, a JSON line replayed unchanged). Made on the thread that reads the file, so the
     * thread that sends has nothing left to compute. A JSON line kept as it is carries no decoded
     * metric; {@link #metric()} decodes it again when asked. Equality looks at the line and the
     * metric only.
     */
    record Good(long line, Metric metric, String seriesKey, long timestamp, byte[] encoded) implements ReplayLine {
        public Good {
            checkLine(line);
            Objects.requireNonNull(seriesKey, "seriesKey");
            Objects.requireNonNull(encoded, "encoded");
        }

        public Good(long line, Metric metric) {
            this(line, metric, metric.seriesKey(), metric.timestamp(), MetricJson.encode(metric));
        }

        /** A line in the wire format, already checked, sent as it is. */
        static Good asRead(long line, String seriesKey, long timestamp, byte[] encoded) {
            return new Good(line, null, seriesKey, timestamp, encoded);
        }

        @Override
        public Metric metric() {
            return metric != null ? metric : MetricJson.decode(encoded);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Good g && g.line == line && g.metric().equals(metric());
        }

        @Override
        public int hashCode() {
            return Long.hashCode(line) * 31 + metric().hashCode();
        }

        @Override
        public String toString() {
            return "Good[line=" + line + ", metric=" + metric() + "]";
        }
    }

    /**
     * A record that did not; {@code reason} names the field and says why, as in
     * {@code timestamp: 'yesterday' is not ISO-8601 or epoch}.
     */
    record Bad(long line, String reason) implements ReplayLine {
        public Bad {
            checkLine(line);
            Objects.requireNonNull(reason, "reason");
        }

        /** A {@code Bad} whose reason is {@code field + ": " + reason}. */
        public static Bad of(long line, String field, String reason) {
            return new Bad(line, field + ": " + reason);
        }
    }

    private static void checkLine(long line) {
        if (line < 1) {
            throw new IllegalArgumentException("line numbers start at 1, got " + line);
        }
    }
}
