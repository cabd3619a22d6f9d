package io.mpipe.collector.replay;

import io.mpipe.common.metric.Metric;
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
     * A record that became a valid metric, with its original timestamp. {@code encoded} is the
     * metric already in the wire format when the file held exactly that (a JSON line replayed
     * unchanged), so it is sent as it is instead of encoded again; null otherwise. It is a cache:
     * equality looks at the line and the metric only.
     */
    record Good(long line, Metric metric, byte[] encoded) implements ReplayLine {
        public Good {
            checkLine(line);
            Objects.requireNonNull(metric, "metric");
        }

        public Good(long line, Metric metric) {
            this(line, metric, null);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Good g && g.line == line && g.metric.equals(metric);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(line) * 31 + metric.hashCode();
        }

        @Override
        public String toString() {
            return "Good[line=" + line + ", metric=" + metric + "]";
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
