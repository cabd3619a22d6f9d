package io.mpipe.collector.synthetic;

import io.mpipe.collector.source.Source;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Synthetic load: {@code series} series sending {@code rate} metrics a second in total. Names
 * and label cardinality are configurable. Every fourth series is a counter that only increases
 * ({@code _total}); the rest are gauges that wander (a bounded random walk). Each poll emits the
 * samples due since the last one, round-robin over the series, each series at most once a
 * millisecond so that (series, timestamp) stays unique.
 */
public final class SyntheticSource implements Source {
    /** Shape of the synthetic series. */
    public record Settings(int series, double ratePerSecond, String namePrefix, int names, int hosts,
            Duration interval) {
    }

    private final Settings settings;
    private final String[] names;
    private final Labels[] labels;
    private final double[] values;
    private final boolean[] counter;
    private final long[] lastTs;
    private final SplittableRandom random = new SplittableRandom(42);
    private long lastPollMs = -1;
    private double carry;
    private int next;

    public SyntheticSource(Settings s) {
        this.settings = s;
        int n = s.series();
        names = new String[n];
        labels = new Labels[n];
        values = new double[n];
        counter = new boolean[n];
        lastTs = new long[n];
        for (int i = 0; i < n; i++) {
            int nameIdx = i % s.names();
            counter[i] = nameIdx % 4 == 3;
            names[i] = s.namePrefix() + (counter[i] ? "requests_" + nameIdx + "_total" : "level_" + nameIdx);
            labels[i] = Labels.of("host", "host-" + (i / s.names()) % s.hosts(), "series", Integer.toString(i / s.names()));
            values[i] = counter[i] ? 0 : 50 + random.nextDouble() * 50;
        }
    }

    @Override
    public String name() {
        return "synthetic";
    }

    @Override
    public Duration interval() {
        return settings.interval();
    }

    @Override
    public List<Metric> poll(long now) {
        if (lastPollMs < 0) {
            lastPollMs = now - settings.interval().toMillis();
        }
        double due = (now - lastPollMs) * settings.ratePerSecond() / 1000.0 + carry;
        int count = (int) Math.floor(due);
        carry = due - count;
        long from = lastPollMs;
        lastPollMs = now;
        int n = names.length;
        // at most one sample per series per millisecond of the elapsed time
        count = (int) Math.min(count, (long) n * Math.max(1, now - from));
        List<Metric> out = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            int i = next;
            next = (next + 1) % n;
            long ts = Math.max(from + 1 + (long) ((double) k / Math.max(1, count) * (now - from)), lastTs[i] + 1);
            if (ts > now) {
                continue;
            }
            lastTs[i] = ts;
            if (counter[i]) {
                values[i] += 1 + random.nextInt(10);
            } else {
                values[i] = Math.max(0, Math.min(1000, values[i] + random.nextGaussian() * 2));
            }
            out.add(new Metric(names[i], ts, values[i], labels[i]));
        }
        return out;
    }
}
