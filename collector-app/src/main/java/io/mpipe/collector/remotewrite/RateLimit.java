package io.mpipe.collector.remotewrite;

/**
 * A token bucket of samples: {@code perSecond} a second, up to a second's worth saved. A request
 * takes its samples whole or not at all; one larger than a second's worth is let through once the
 * bucket is full, so no request is refused for its size alone.
 */
final class RateLimit {
    private final double perSecond;
    private double tokens;
    private long lastNanos;

    RateLimit(double perSecond) {
        this.perSecond = perSecond;
        this.tokens = perSecond;
        this.lastNanos = System.nanoTime();
    }

    synchronized boolean tryTake(int n) {
        long now = System.nanoTime();
        tokens = Math.min(perSecond, tokens + (now - lastNanos) / 1e9 * perSecond);
        lastNanos = now;
        if (tokens >= Math.min(n, perSecond)) {
            tokens -= n;
            return true;
        }
        return false;
    }

    /** Returns what a request took and did not use (it was refused after all). */
    synchronized void giveBack(int n) {
        tokens = Math.min(perSecond, tokens + n);
    }
}
