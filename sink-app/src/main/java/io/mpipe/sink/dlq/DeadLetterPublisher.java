package io.mpipe.sink.dlq;

import io.mpipe.common.wire.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Sends dead letters to the DLQ topic: the original key, value and headers, plus headers giving
 * the reason, the field, and the source topic, partition and offset. {@link #publish} returns
 * only when the broker has every one, so the batch that skips them can commit its offsets.
 * Delivery is at least once: a crash between the send and the commit sends them again.
 */
public final class DeadLetterPublisher {
    private final Producer<byte[], byte[]> producer;
    private final String dlqTopic;

    public DeadLetterPublisher(Producer<byte[], byte[]> producer, String dlqTopic) {
        this.producer = producer;
        this.dlqTopic = dlqTopic;
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
            acks.add(producer.send(toRecord(d)));
        }
        producer.flush();
        for (int i = 0; i < acks.size(); i++) {
            try {
                acks.get(i).get(30, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                DeadLetter d = letters.get(i);
                throw new DeadLetterException("sending dead letter for " + d.topic() + "-" + d.partition() + "@"
                        + d.offset() + " to " + dlqTopic + " failed: " + (e.getCause() != null ? e.getCause() : e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DeadLetterException("interrupted while sending dead letters", e);
            }
        }
    }

    ProducerRecord<byte[], byte[]> toRecord(DeadLetter d) {
        RecordHeaders headers = new RecordHeaders();
        if (d.headers() != null) {
            for (Header h : d.headers()) {
                headers.add(h);
            }
        }
        headers.add(WireFormat.DLQ_REASON_HEADER, bytes(d.reason()));
        headers.add(WireFormat.DLQ_FIELD_HEADER, bytes(d.field()));
        headers.add(WireFormat.DLQ_TOPIC_HEADER, bytes(d.topic()));
        headers.add(WireFormat.DLQ_PARTITION_HEADER, bytes(Integer.toString(d.partition())));
        headers.add(WireFormat.DLQ_OFFSET_HEADER, bytes(Long.toString(d.offset())));
        return new ProducerRecord<>(dlqTopic, null, d.timestamp() >= 0 ? d.timestamp() : null, d.key(), d.value(),
                headers);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A dead letter that did not reach the DLQ topic. */
    public static final class DeadLetterException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DeadLetterException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
