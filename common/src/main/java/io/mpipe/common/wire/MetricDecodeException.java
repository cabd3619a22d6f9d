package io.mpipe.common.wire;

import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A record value that is not a valid metric in the wire format. {@link #field()} names the part
 * that was wrong ({@code json} for a syntax error, otherwise the field) and {@link #reason()} says
 * why; a consumer puts both on the dead-letter record.
 */
public final class MetricDecodeException extends SerializationException {
    private static final long serialVersionUID = 1L;

    private final String field;
    private final String reason;

    public MetricDecodeException(String field, String reason) {
        this(field, reason, null);
    }

    public MetricDecodeException(String field, String reason, Throwable cause) {
        super(field + ": " + reason, cause);
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
