package io.mpipe.sink.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.common.wire.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The shape of a dead letter: what is cut, and what says so (the sending itself is tested against a broker). */
class DeadLetterPublisherTest {
    /** No producer: what is built is looked at, nothing is sent. */
    private final DeadLetterPublisher publisher = new DeadLetterPublisher(null, "dlq");

    private static String header(ProducerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void shouldCarryASmallRecordWholeStampedNowWithItsOwnTimeInAHeader() {
        RecordHeaders own = new RecordHeaders();
        own.add("replayed", "f.csv".getBytes(StandardCharsets.UTF_8));
        ProducerRecord<byte[], byte[]> r = publisher.toRecord(new DeadLetter("metrics", 3, 42, 4_102_444_800_000L,
                "k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8), own, "json", "bad"));
        assertThat(r.timestamp()).isNull();
        assertThat(header(r, WireFormat.DLQ_TIMESTAMP_HEADER)).isEqualTo("4102444800000");
        assertThat(header(r, "replayed")).isEqualTo("f.csv");
        assertThat(header(r, WireFormat.DLQ_PARTITION_HEADER)).isEqualTo("3");
        assertThat(header(r, WireFormat.DLQ_OFFSET_HEADER)).isEqualTo("42");
        assertThat(header(r, WireFormat.DLQ_ORIGINAL_SIZE_HEADER)).isNull();
    }

    @Test
    void shouldCutAValueAKeyAndHeadersPastTheirBoundsAndSayWhatWasCut() {
        byte[] value = new byte[DeadLetterPublisher.MAX_VALUE_BYTES + 1];
        Arrays.fill(value, (byte) 'v');
        byte[] key = new byte[DeadLetterPublisher.MAX_KEY_BYTES * 3];
        RecordHeaders own = new RecordHeaders();
        for (int i = 0; i < 3; i++) {
            own.add("h" + i, new byte[DeadLetterPublisher.MAX_HEADER_BYTES / 2]);
        }
        ProducerRecord<byte[], byte[]> r = publisher.toRecord(new DeadLetter("metrics", 0, 1, 5, key, value, own,
                "value", "too big"));
        assertThat(r.value()).hasSize(DeadLetterPublisher.MAX_VALUE_BYTES);
        assertThat(header(r, WireFormat.DLQ_ORIGINAL_SIZE_HEADER)).isEqualTo(Integer.toString(value.length));
        assertThat(header(r, WireFormat.DLQ_SHA256_HEADER)).isEqualTo(DeadLetterPublisher.sha256(value)).hasSize(64);
        assertThat(r.key()).hasSize(DeadLetterPublisher.MAX_KEY_BYTES);
        assertThat(header(r, WireFormat.DLQ_ORIGINAL_KEY_SIZE_HEADER)).isEqualTo(Integer.toString(key.length));
        assertThat(header(r, "h0")).isNotNull();
        assertThat(header(r, "h2")).isNull();
        assertThat(header(r, WireFormat.DLQ_HEADERS_DROPPED_HEADER)).isEqualTo("2");
    }
}
