package io.mpipe.common.wire;

import io.mpipe.common.metric.Metric;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Topic defaults and record headers of the wire format, and the one way to turn a metric into a
 * producer record: key = series key, value = JSON, record timestamp = metric timestamp.
 */
public final class WireFormat {
    /** Default topic of metric records. */
    public static final String DEFAULT_TOPIC = "metrics";
    /** Default dead-letter topic for records the sink cannot decode or validate. */
    public static final String DEFAULT_DLQ_TOPIC = "metrics.dlq";

    /** Header on a replayed record; its value is the name of the file it came from. */
    public static final String REPLAY_HEADER = "replayed";

    /** Dead-letter headers: why, and where the record came from. */
    public static final String DLQ_REASON_HEADER = "dlq.reason";
    public static final String DLQ_FIELD_HEADER = "dlq.field";
    public static final String DLQ_TOPIC_HEADER = "dlq.topic";
    public static final String DLQ_PARTITION_HEADER = "dlq.partition";
    public static final String DLQ_OFFSET_HEADER = "dlq.offset";
    /** The original record's timestamp (epoch ms); the dead letter itself is stamped when it was sent. */
    public static final String DLQ_TIMESTAMP_HEADER = "dlq.timestamp";
    /** On a dead letter whose value was cut: the original value's size in bytes. */
    public static final String DLQ_ORIGINAL_SIZE_HEADER = "dlq.original-size";
    /** On a dead letter whose value was cut: the SHA-256 of the original value, in hex. */
    public static final String DLQ_SHA256_HEADER = "dlq.sha256";
    /** On a dead letter whose key was cut: the original key's size in bytes. */
    public static final String DLQ_ORIGINAL_KEY_SIZE_HEADER = "dlq.original-key-size";
    /** On a dead letter whose key was cut: the SHA-256 of the original key, in hex. */
    public static final String DLQ_KEY_SHA256_HEADER = "dlq.key-sha256";
    /** On a dead letter that could not carry all the record's headers: how many were left out. */
    public static final String DLQ_HEADERS_DROPPED_HEADER = "dlq.headers-dropped";

    private WireFormat() {
    }

    /** A producer record for {@code metric}: keyed by series key, timestamped by the metric. */
    public static ProducerRecord<byte[], byte[]> record(String topic, Metric metric) {
        return record(topic, metric.seriesKey(), metric);
    }

    /** The same, with the metric's series key already at hand. */
    public static ProducerRecord<byte[], byte[]> record(String topic, String seriesKey, Metric metric) {
        return new ProducerRecord<>(topic, null, metric.timestamp(), seriesKey.getBytes(StandardCharsets.UTF_8),
                MetricJson.encode(metric));
    }

    /** The same, marked as replayed from {@code source}. */
    public static ProducerRecord<byte[], byte[]> replayRecord(String topic, Metric metric, String source) {
        return replayRecord(topic, metric.seriesKey(), metric.timestamp(), MetricJson.encode(metric),
                source.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A replayed record from parts already at hand: the series key, the timestamp, the value in
     * the wire format, and the {@link #REPLAY_HEADER} value (the source's name in UTF-8).
     */
    public static ProducerRecord<byte[], byte[]> replayRecord(String topic, String seriesKey, long timestamp,
            byte[] encoded, byte[] source) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(REPLAY_HEADER, source);
        return new ProducerRecord<>(topic, null, timestamp, seriesKey.getBytes(StandardCharsets.UTF_8), encoded,
                headers);
    }
}
