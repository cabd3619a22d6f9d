package io.mpipe.sink.batch;

import io.mpipe.common.metric.Metric;
import io.mpipe.sink.dlq.DeadLetter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * The records consumed since the last hand-off: samples to store, dead letters to send, and per
 * partition the offset to store once they are in. Pure data; no I/O, no clock.
 *
 * <p>Offsets advance for every record consumed, stored or not (a dead letter, a sample past
 * retention), so the stored offset always says "everything before this is done".
 */
public final class Batch {
    private Metric[] metrics;
    private String[] keys;
    private int[] partitionOf;
    private int size;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final Map<TopicPartition, Integer> partitionIndex = new HashMap<>();
    private final Map<TopicPartition, Long> nextOffsets = new HashMap<>();
    private final List<DeadLetter> deadLetters = new ArrayList<>();
    private long skippedRetention;
    private long createdAtMs = -1;
    private long newestTimestamp = Long.MIN_VALUE;

    public Batch(int expectedRows) {
        int cap = Math.max(16, expectedRows);
        metrics = new Metric[cap];
        keys = new String[cap];
        partitionOf = new int[cap];
    }

    private int indexOf(TopicPartition tp) {
        Integer i = partitionIndex.get(tp);
        if (i == null) {
            i = partitions.size();
            partitions.add(tp);
            partitionIndex.put(tp, i);
        }
        return i;
    }

    private void advance(TopicPartition tp, long offset, long nowMs) {
        if (createdAtMs < 0) {
            createdAtMs = nowMs;
        }
        nextOffsets.merge(tp, offset + 1, Math::max);
    }

    /** Adds a sample consumed at {@code offset} of {@code tp}. */
    public void add(TopicPartition tp, long offset, Metric metric, String seriesKey, long nowMs) {
        if (size == metrics.length) {
            int cap = size * 2;
            metrics = Arrays.copyOf(metrics, cap);
            keys = Arrays.copyOf(keys, cap);
            partitionOf = Arrays.copyOf(partitionOf, cap);
        }
        metrics[size] = metric;
        keys[size] = seriesKey;
        partitionOf[size] = indexOf(tp);
        size++;
        newestTimestamp = Math.max(newestTimestamp, metric.timestamp());
        advance(tp, offset, nowMs);
    }

    /** A record that goes to the dead-letter topic instead. */
    public void addDeadLetter(TopicPartition tp, DeadLetter letter, long nowMs) {
        indexOf(tp);
        deadLetters.add(letter);
        advance(tp, letter.offset(), nowMs);
    }

    /** A sample older than retention: counted, its offset passed, not stored. */
    public void skipExpired(TopicPartition tp, long offset, long nowMs) {
        indexOf(tp);
        skippedRetention++;
        advance(tp, offset, nowMs);
    }

    /**
     * Drops everything from {@code revoked} partitions: they are not written at all, and their
     * new owner starts from the offset stored with the last batch that was.
     */
    public void removePartitions(Collection<TopicPartition> revoked) {
        if (revoked.isEmpty() || partitions.isEmpty()) {
            return;
        }
        boolean any = false;
        for (TopicPartition tp : revoked) {
            any |= partitionIndex.containsKey(tp);
        }
        if (!any) {
            return;
        }
        int w = 0;
        for (int r = 0; r < size; r++) {
            if (!revoked.contains(partitions.get(partitionOf[r]))) {
                metrics[w] = metrics[r];
                keys[w] = keys[r];
                partitionOf[w] = partitionOf[r];
                w++;
            }
        }
        for (int i = w; i < size; i++) {
            metrics[i] = null;
            keys[i] = null;
        }
        size = w;
        deadLetters.removeIf(d -> revoked.contains(new TopicPartition(d.topic(), d.partition())));
        for (TopicPartition tp : revoked) {
            nextOffsets.remove(tp);
        }
        newestTimestamp = Long.MIN_VALUE;
        for (int i = 0; i < size; i++) {
            newestTimestamp = Math.max(newestTimestamp, metrics[i].timestamp());
        }
        if (nextOffsets.isEmpty()) {
            createdAtMs = -1;
        }
    }

    /** Rows to store. */
    public int size() {
        return size;
    }

    /** True when nothing was consumed: no rows, no dead letters, no skipped samples. */
    public boolean isEmpty() {
        return nextOffsets.isEmpty();
    }

    public Metric metric(int i) {
        return metrics[i];
    }

    public String seriesKey(int i) {
        return keys[i];
    }

    /** Next offset to consume per partition, as stored with the batch. */
    public Map<TopicPartition, Long> nextOffsets() {
        return Map.copyOf(nextOffsets);
    }

    public List<DeadLetter> deadLetters() {
        return List.copyOf(deadLetters);
    }

    public long skippedRetention() {
        return skippedRetention;
    }

    /** Timestamp of the newest sample, or {@link Long#MIN_VALUE} when there is none. */
    public long newestTimestamp() {
        return newestTimestamp;
    }

    /** When the first record was added (the clock of the caller), or -1 when empty. */
    public long createdAtMs() {
        return createdAtMs;
    }
}
