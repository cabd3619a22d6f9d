package io.mpipe.sink.dlq;

import io.mpipe.common.wire.WireFormat;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Sends dead letters to the DLQ topic: the original key, value and headers, plus headers giving
 * the reason, the field, and the source topic, partition, offset and timestamp (the letter itself
 * is stamped with the time it was sent). {@link #publish} returns
 * only when the broker has every one, so the batch that skips them can commit its offsets.
 * Delivery is at least once: a crash between the send and the commit sends them again.
 *
 * <p>A dead letter never fails for its size: a value longer than {@value #MAX_VALUE_BYTES} bytes
 * is cut to that, a key longer than {@value #MAX_KEY_BYTES} to that, and the record's own headers
 * are dropped once they pass {@value #MAX_HEADER_BYTES} bytes; what was cut is said in headers
 * ({@code dlq.original-size} and {@code dlq.sha256} of the value, {@code dlq.original-key-size} and
 * {@code dlq.key-sha256} of the key, {@code dlq.headers-dropped}). So a letter stays well under
 * the producer's {@value #MAX_REQUEST_BYTES}-byte request size and the broker's default
 * {@code message.max.bytes}.
 */
public final class DeadLetterPublisher {
    /** Longest value a dead letter carries. */
    public static final int MAX_VALUE_BYTES = 256 * 1024;
    /** Longest key a dead letter carries. */
    public static final int MAX_KEY_BYTES = 16 * 1024;
    /** Most bytes of the original record's headers a dead letter carries. */
    public static final int MAX_HEADER_BYTES = 64 * 1024;
    /** The DLQ producer's {@code max.request.size}. */
    public static final int MAX_REQUEST_BYTES = 1024 * 1024;

    private final Producer<byte[], byte[]> producer;
    private final String dlqTopic;

    public DeadLetterPublisher(Producer<byte[], byte[]> producer, String dlqTopic) {
        this.producer = producer;
        this.dlqTopic = dlqTopic;
    }

    public String topic() {
        return dlqTopic;
    }

    /**
     * Sends all and waits for every acknowledgement.
     *
     * @throws DeadLetterException when any send fails; nothing may be committed then
     */
    public void publish(List<DeadLetter> letters) {
        if (letters.isEmpty()) {
            return;
        }
        List<Future<RecordMetadata>> acks = new ArrayList<>(letters.size());
        for (DeadLetter d : letters) {
            try {
                acks.add(producer.send(toRecord(d)));
            } catch (RuntimeException e) {
                throw failure(d, e);
            }
        }
        producer.flush();
        for (int i = 0; i < acks.size(); i++) {
            try {
                acks.get(i).get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw failure(letters.get(i), e.getCause() != null ? e.getCause() : e);
            } catch (TimeoutException e) {
                throw failure(letters.get(i), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DeadLetterException("interrupted while sending dead letters", e, false);
            }
        }
    }

    private DeadLetterException failure(DeadLetter d, Throwable cause) {
        // what will not pass by waiting: no right to write the topic, a letter too large for it, no such topic
        boolean permanent = cause instanceof org.apache.kafka.common.KafkaException
                && !(cause instanceof RetriableException);
        return new DeadLetterException("sending dead letter for " + d.topic() + "-" + d.partition() + "@" + d.offset()
                + " to " + dlqTopic + " failed: " + cause, cause, permanent);
    }

    ProducerRecord<byte[], byte[]> toRecord(DeadLetter d) {
        RecordHeaders headers = new RecordHeaders();
        if (d.headers() != null) {
            int bytes = 0;
            int dropped = 0;
            for (Header h : d.headers()) {
                bytes += h.key().length() + (h.value() == null ? 0 : h.value().length);
                if (bytes <= MAX_HEADER_BYTES) {
                    headers.add(h);
                } else {
                    dropped++;
                }
            }
            if (dropped > 0) {
                headers.add(WireFormat.DLQ_HEADERS_DROPPED_HEADER, bytes(Integer.toString(dropped)));
            }
        }
        headers.add(WireFormat.DLQ_REASON_HEADER, bytes(cut(d.reason(), 4096)));
        headers.add(WireFormat.DLQ_FIELD_HEADER, bytes(cut(d.field(), 256)));
        headers.add(WireFormat.DLQ_TOPIC_HEADER, bytes(d.topic()));
        headers.add(WireFormat.DLQ_PARTITION_HEADER, bytes(Integer.toString(d.partition())));
        headers.add(WireFormat.DLQ_OFFSET_HEADER, bytes(Long.toString(d.offset())));
        if (d.timestamp() >= 0) {
            headers.add(WireFormat.DLQ_TIMESTAMP_HEADER, bytes(Long.toString(d.timestamp())));
        }
        byte[] value = d.value();
        if (value != null && value.length > MAX_VALUE_BYTES) {
            headers.add(WireFormat.DLQ_ORIGINAL_SIZE_HEADER, bytes(Integer.toString(value.length)));
            headers.add(WireFormat.DLQ_SHA256_HEADER, bytes(sha256(value)));
            value = Arrays.copyOf(value, MAX_VALUE_BYTES);
        }
        byte[] key = d.key();
        if (key != null && key.length > MAX_KEY_BYTES) {
            headers.add(WireFormat.DLQ_ORIGINAL_KEY_SIZE_HEADER, bytes(Integer.toString(key.length)));
            headers.add(WireFormat.DLQ_KEY_SHA256_HEADER, bytes(sha256(key)));
            key = Arrays.copyOf(key, MAX_KEY_BYTES);
        }
        // stamped now: a broker refuses a record stamped more than message.timestamp.after.max.ms
        // ahead (an hour by default), and a letter's time in the topic is when it was dead-lettered
        return new ProducerRecord<>(dlqTopic, null, null, key, value, headers);
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A dead letter that did not reach the DLQ topic. */
    public static final class DeadLetterException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final boolean permanent;

        DeadLetterException(String message, Throwable cause, boolean permanent) {
            super(message, cause);
            this.permanent = permanent;
        }

        /**
         * True when waiting will not help (the topic refuses this producer or this letter): an
         * operator must act, and the sink says so in its health.
         */
        public boolean permanent() {
            return permanent;
        }
    }
}
