package io.mpipe.common.metric;

import java.util.Objects;

/**
 * A metric that breaks the rules of the wire format. {@link #field()} names what was wrong
 * ({@code name}, {@code timestamp}, {@code labels.<name>} ...) and {@link #reason()} says why,
 * so a consumer can put both on a dead-letter record.
 */
public final class InvalidMetricException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String field;
    private final String reason;

    public InvalidMetricException(String field, String reason) {
        super(field + ": " + reason);
        this.field = Objects.requireNonNull(field, "field");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
