package io.mpipe.collector.hedera;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A token bucket that holds one token and refills at {@code permitsPerSecond}: callers are spaced
 * {@code 1 / permitsPerSecond} apart, so no window of any length sees more than the rate (plus
 * one). The public mirror nodes rate-limit per client; a smooth pace stays under their limit
 * where a burst might not. Thread-safe; a caller waits outside the lock.
 */
final class RateLimiter {
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final MirrorNodeClient.Sleeper sleeper;
    private long nextFreeNanos;
    private boolean used;

    RateLimiter(double permitsPerSecond, LongSupplier nanoTime, MirrorNodeClient.Sleeper sleeper) {
        if (!(permitsPerSecond > 0) || Double.isInfinite(permitsPerSecond)) {
            throw new IllegalArgumentException("permits per second must be positive and finite: " + permitsPerSecond);
        }
        this.intervalNanos = Math.max(1, Math.round(1e9 / permitsPerSecond));
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
    }

    /** Waits for the next free slot and takes it. */
    void acquire() throws InterruptedException {
        long wait;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            // nanoTime may be negative, so compare differences only
            long slot = used && nextFreeNanos - now > 0 ? nextFreeNanos : now;
            used = true;
            nextFreeNanos = slot + intervalNanos;
            wait = slot - now;
        }
        if (wait > 0) {
            sleeper.sleep(Duration.ofNanos(wait));
        }
    }
}
