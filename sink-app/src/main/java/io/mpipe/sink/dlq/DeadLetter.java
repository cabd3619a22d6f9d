package io.mpipe.sink.dlq;

import java.util.Objects;
import org.apache.kafka.common.header.Headers;

/**
 * A record the sink could not store, with where it came from and why.
 *
 * @param field  the part that was wrong ({@code json}, {@code name}, {@code labels.x} ...)
 * @param reason what was wrong with it
 */
public record DeadLetter(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
        Headers headers, String field, String reason) {

    public DeadLetter {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(reason, "reason");
    }

    /** A bounded label value for metrics: the field up to its first dot ({@code labels.x} → {@code labels}). */
    public String fieldClass() {
        int dot = field.indexOf('.');
        return dot < 0 ? field : field.substring(0, dot);
    }
}
