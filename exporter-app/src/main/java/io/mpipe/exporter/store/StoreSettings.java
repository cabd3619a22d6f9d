package io.mpipe.exporter.store;

import java.time.Duration;

/**
 * Bounds of the store.
 *
 * @param window               samples older than now minus this are dropped
 * @param maxSeries            series held at most; the least recently used go first
 * @param maxSamplesPerSeries  samples held per series at most (the newest)
 * @param staleAfter           a series that received nothing for this long is not exported on /metrics
 */
public record StoreSettings(Duration window, int maxSeries, int maxSamplesPerSeries, Duration staleAfter) {
    public StoreSettings {
        if (maxSeries < 1 || maxSamplesPerSeries < 1) {
            throw new IllegalArgumentException("maxSeries and maxSamplesPerSeries must be positive");
        }
    }
}
