package io.mpipe.sink;

import io.mpipe.common.config.Durations;
import io.mpipe.common.wire.MetricDecodeException;
import io.mpipe.common.wire.SampleDecoder;
import io.mpipe.sink.batch.Batch;
import io.mpipe.sink.dlq.DeadLetter;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;

/**
 * Decides what becomes of each record read: a row of the batch, a dead letter (not a valid metric,
 * a key that is not its series key, a sample more than {@code max-future} ahead of the sink's
 * clock), skipped (older than the retention), or deferred to the next batch (it would need one time
 * partition more than a batch may create). Used on the loop thread only.
 */
final class RecordIntake {
    /** What {@link #accept} returns for a record that waits for the next batch. */
    static final long DEFERRED = Long.MAX_VALUE;
    /** What {@link #accept} returns for a record that stores no sample. */
    static final long NONE = Long.MIN_VALUE;
    /** How often, at most, the sink says it skipped samples older than the retention. */
    static final Duration SKIP_NOTE_INTERVAL = Duration.ofMinutes(1);

    private final SampleDecoder decoder = new SampleDecoder();
    private final SinkMetrics metrics;
    private final SinkLoop.Options options;
    /** The loop's log: where users look for what the sink skipped. */
    private final Logger log;
    /** Samples skipped for their age since the last note of it, and the newest of them. */
    private long skippedUnnoted;
    private long skippedNewestTs = Long.MIN_VALUE;
    private long lastSkipNoteMs = Long.MIN_VALUE;

    RecordIntake(SinkMetrics metrics, SinkLoop.Options options, Logger log) {
        this.metrics = metrics;
        this.options = options;
        this.log = log;
    }

    /**
     * Adds the record to the batch; returns the timestamp of the sample stored, {@link #NONE} when
     * none is (a dead letter, a sample past retention), or {@link #DEFERRED} when the record would
     * need one new time partition more than a batch may create: the caller then seeks the consumer
     * back to it and {@link Batch#close() closes} the batch.
     */
    long accept(Batch building, TopicPartition tp, ConsumerRecord<byte[], byte[]> rec, long now) {
        try {
            decoder.decode(rec.key(), rec.value()); // checked in full; the metric itself is not built
            decoder.checkKey(rec.key());
        } catch (MetricDecodeException e) {
            deadLetter(building, tp, rec, e.field(), e.reason(), now);
            return NONE;
        }
        if (decoder.timestamp() > now + options.maxFutureMs()) {
            deadLetter(building, tp, rec, "timestamp", "future: " + Instant.ofEpochMilli(decoder.timestamp())
                    + " is more than " + Durations.format(Duration.ofMillis(options.maxFutureMs()))
                    + " ahead of the sink's clock (" + Instant.ofEpochMilli(now) + "; sink.max-future)", now);
            return NONE;
        }
        if (options.retentionMs() > 0 && decoder.timestamp() < now - options.retentionMs()) {
            metrics.skipped.labels("retention").inc();
            building.skipExpired(tp, rec.offset(), now);
            skippedUnnoted++;
            skippedNewestTs = Math.max(skippedNewestTs, decoder.timestamp());
            noteSkipped(now);
            return NONE;
        }
        if (building.newPartitions() >= options.maxNewPartitions() && building.needsNewPartition(decoder.timestamp())) {
            metrics.deferred.inc();
            return DEFERRED;
        }
        building.add(tp, rec.offset(), decoder.key(), decoder.timestamp(), decoder.value(), now);
        return decoder.timestamp();
    }

    /**
     * Says, at once and then at most once a {@link #SKIP_NOTE_INTERVAL}, that samples were skipped
     * for being older than the retention: a replay of old files otherwise stores nothing without a
     * word in the sink's log.
     */
    private void noteSkipped(long now) {
        if (lastSkipNoteMs != Long.MIN_VALUE && now - lastSkipNoteMs < SKIP_NOTE_INTERVAL.toMillis()) {
            return;
        }
        log.warn("sink: skipped {} sample(s) older than sink.retention ({}), the newest of them from {}; they are not"
                + " stored (sink_samples_skipped_total{reason=\"retention\"}). To store such samples, raise"
                + " sink.retention and replay them again", skippedUnnoted,
                Durations.format(Duration.ofMillis(options.retentionMs())),
                Instant.ofEpochMilli(skippedNewestTs));
        lastSkipNoteMs = now;
        skippedUnnoted = 0;
        skippedNewestTs = Long.MIN_VALUE;
    }

    private void deadLetter(Batch building, TopicPartition tp, ConsumerRecord<byte[], byte[]> rec, String field,
            String reason, long now) {
        DeadLetter d = new DeadLetter(rec.topic(), rec.partition(), rec.offset(), rec.timestamp(), rec.key(),
                rec.value(), rec.headers(), field, reason);
        metrics.deadLetters.labels(d.fieldClass()).inc();
        log.debug("dead letter {}-{}@{}: {}: {}", rec.topic(), rec.partition(), rec.offset(), field, reason);
        building.addDeadLetter(tp, d, now);
    }
}
