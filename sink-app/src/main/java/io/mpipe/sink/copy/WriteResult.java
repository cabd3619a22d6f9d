package io.mpipe.sink.copy;

import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * What one committed batch did.
 *
 * @param rows            sample rows in the batch
 * @param inserted        rows that were new (the rest were already stored, or refused)
 * @param deadLetters     records sent to the dead-letter topic, those refused by PostgreSQL included
 * @param refused         rows PostgreSQL refused on their own (isolated and dead-lettered)
 * @param nextOffsets     offsets stored with the rows
 * @param newestTimestamp newest sample timestamp in the batch, or {@link Long#MIN_VALUE}
 * @param commitNanos     time from the first statement to the commit
 * @param committedAtMs   wall-clock time the commit returned: the rows are visible from then on
 * @param deduplicated    true when the batch needed the duplicate-skipping path
 */
public record WriteResult(int rows, long inserted, int deadLetters, int refused, Map<TopicPartition, Long> nextOffsets,
        long newestTimestamp, long commitNanos, long committedAtMs, boolean deduplicated) {

    public WriteResult {
        nextOffsets = Map.copyOf(nextOffsets);
    }

    /** Rows not stored because the same series and timestamp already was. */
    public long duplicates() {
        return rows - refused - inserted;
    }
}
