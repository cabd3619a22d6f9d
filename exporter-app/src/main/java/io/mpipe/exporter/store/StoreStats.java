package io.mpipe.exporter.store;

import java.util.concurrent.atomic.LongAdder;

/** Hits, misses, evictions and drops of the store, for /metrics and the stats API. */
public final class StoreStats {
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder expiredSeries = new LongAdder();
    private final LongAdder droppedOld = new LongAdder();

    void hit() {
        hits.increment();
    }

    void miss() {
        misses.increment();
    }

    /** Counts a lookup answered elsewhere (the history tier) because the store did not hold it. */
    public void missElsewhere() {
        misses.increment();
    }

    void evicted() {
        evictions.increment();
    }

    void expired(int n) {
        expiredSeries.add(n);
    }

    void sampleDropped() {
        droppedOld.increment();
    }

    public long hits() {
        return hits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    public long evictions() {
        return evictions.sum();
    }

    public long expiredSeries() {
        return expiredSeries.sum();
    }

    /** Samples dropped: older than the window, or than everything a full series holds. */
    public long droppedSamples() {
        return droppedOld.sum();
    }

    public double hitRate() {
        long h = hits();
        long total = h + misses();
        return total == 0 ? Double.NaN : (double) h / total;
    }
}
