package io.mpipe.bench.sink;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;

/**
 * The rows every sink benchmark phase loads: {@code rows} samples over {@code series} series,
 * time-ordered like an ingest stream (each round of series one second after the last), ending
 * near now so nothing is past retention.
 */
public final class SyntheticRows {
    private final Metric[] metrics;
    private final String[] keys;

    public SyntheticRows(int rows, int series) {
        metrics = new Metric[rows];
        keys = new String[rows];
        Labels[] labels = new Labels[series];
        for (int s = 0; s < series; s++) {
            labels[s] = Labels.of("host", "host-" + s, "region", "region-" + (s % 8), "service", "svc-" + (s % 50));
        }
        long rounds = (rows + series - 1) / series;
        long start = System.currentTimeMillis() - rounds * 1000L - 60_000L;
        String[] seriesKeys = new String[series];
        for (int i = 0; i < rows; i++) {
            int s = i % series;
            metrics[i] = new Metric("bench_cpu_seconds", start + (i / series) * 1000L, (i % 997) * 0.25, labels[s]);
            if (seriesKeys[s] == null) {
                seriesKeys[s] = metrics[i].seriesKey();
            }
            keys[i] = seriesKeys[s];
        }
    }

    public int size() {
        return metrics.length;
    }

    public Metric metric(int i) {
        return metrics[i];
    }

    public String key(int i) {
        return keys[i];
    }
}
