package io.mpipe.collector.replay;

import java.util.Objects;

/**
 * One field of one input line that cannot become part of a metric. Thrown by the pure parsers of
 * this package and turned into a {@link ReplayLine.Bad} by {@link ReplayReader}; it never leaves
 * the package. Carries no stack trace: a file may hold millions of bad lines, and the line number
 * says where the problem is.
 */
final class BadFieldException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String field;
    private final String reason;

    BadFieldException(String field, String reason) {
        super(field + ": " + reason, null, false, false);
        this.field = Objects.requireNonNull(field, "field");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    String field() {
        return field;
    }

    String reason() {
        return reason;
    }

    /** Quotes and shortens a piece of input for a reason. */
    static String quote(String s) {
        return "'" + abbreviate(s) + "'";
    }

    /** Shortens a piece of input to at most 64 characters. */
    static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }
}
