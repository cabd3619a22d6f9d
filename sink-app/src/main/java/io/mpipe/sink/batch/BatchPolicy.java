package io.mpipe.sink.batch;

import java.time.Clock;
import java.time.Duration;

/**
 * When a batch is handed to the writer: when it holds {@code maxRows} rows, or when its first
 * record has waited {@code maxAge}. Size keeps PostgreSQL efficient under load; age bounds the
 * latency when the stream is slow.
 */
public final class BatchPolicy {
    private final int maxRows;
    private final long maxAgeMs;
    private final Clock clock;

    public BatchPolicy(int maxRows, Duration maxAge, Clock clock) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be positive");
        }
        this.maxRows = maxRows;
        this.maxAgeMs = maxAge.toMillis();
        this.clock = clock;
    }

    public long now() {
        return clock.millis();
    }

    public int maxRows() {
        return maxRows;
    }

    /** True when the batch takes no more: it holds max-rows rows, or a record had to wait for the next one. */
    public boolean isFull(Batch b) {
        return b.size() >= maxRows || b.isClosed();
    }

    /** True when the batch should be written now. */
    public boolean isDue(Batch b) {
        if (b.isEmpty()) {
            return false;
        }
        return isFull(b) || clock.millis() - b.createdAtMs() >= maxAgeMs;
    }

    /** Milliseconds until an unfilled batch becomes due (0 if due or empty). */
    public long millisUntilDue(Batch b) {
        if (b.isEmpty()) {
            return maxAgeMs;
        }
        return Math.max(0, maxAgeMs - (clock.millis() - b.createdAtMs()));
    }
}
