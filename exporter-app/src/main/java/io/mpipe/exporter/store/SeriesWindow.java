package io.mpipe.exporter.store;

import io.mpipe.common.metric.Labels;
import java.util.Arrays;

/**
 * The recent samples of one series, in timestamp order, at most {@code cap} of them (the newest).
 * A ring that grows on demand: a series that sends once a minute costs a few dozen bytes, not
 * {@code cap} slots. Out-of-order samples are inserted in order; a sample with a timestamp already
 * held replaces that value (a replay); the latest value never moves back in time.
 *
 * <p>Each sample is two longs side by side in one array, its timestamp and its value's bits, so
 * adding one touches one array, not two. The window is also its own node in its pool's
 * least-recently-used order.
 *
 * <p>Not thread-safe; the store guards it.
 */
public final class SeriesWindow {
    private final int partition;
    private final String key;
    private final String name;
    private final Labels labels;
    /** What a window the pool let go of holds. */
    private static final long[] NO_SAMPLES = new long[0];
    /** Sample {@code i} of the ring is at {@code 2 * i} (timestamp) and {@code 2 * i + 1} (value bits). */
    private long[] samples;
    private int head;
    private int size;
    private long lastUpdateMs;
    /** Neighbours in the pool's use order (the pool's to maintain), and whether the pool still holds it. */
    SeriesWindow older;
    SeriesWindow newer;
    boolean removed;

    public SeriesWindow(int partition, String key, String name, Labels labels) {
        this.partition = partition;
        this.key = key;
        this.name = name;
        this.labels = labels;
        this.samples = new long[4];
    }

    /** The topic partition the series' records come from. */
    public int partition() {
        return partition;
    }

    public String key() {
        return key;
    }

    public String name() {
        return name;
    }

    public Labels labels() {
        return labels;
    }

    public int size() {
        return size;
    }

    /** Wall-clock time the series last received a sample. */
    public long lastUpdateMs() {
        return lastUpdateMs;
    }

    /** Samples the ring has room for. */
    private int capacity() {
        return samples.length >> 1;
    }

    /**
     * Where the {@code i}th sample's timestamp is, 0 <= i <= size (its value is next to it); a
     * subtraction, not a division: it runs for every sample.
     */
    private int at(int i) {
        int j = head + i;
        int c = capacity();
        return (j >= c ? j - c : j) << 1;
    }

    public long timestampAt(int i) {
        return samples[at(i)];
    }

    public double valueAt(int i) {
        return Double.longBitsToDouble(samples[at(i) + 1]);
    }

    public long latestTimestamp() {
        return size == 0 ? Long.MIN_VALUE : samples[at(size - 1)];
    }

    public double latestValue() {
        return valueAt(size - 1);
    }

    private void set(int i, long timestamp, double value) {
        int a = at(i);
        samples[a] = timestamp;
        samples[a + 1] = Double.doubleToRawLongBits(value);
    }

    /**
     * Adds a sample. Returns false when it was dropped: older than every sample held while the
     * series is at {@code cap}.
     */
    public boolean add(long timestamp, double value, int cap, long nowMs) {
        lastUpdateMs = Math.max(lastUpdateMs, nowMs);
        if (size == 0 || timestamp > latestTimestamp()) {
            if (size == cap) {
                dropOldest(1);
            }
            ensureCapacity(size + 1, cap);
            set(size, timestamp, value);
            size++;
            return true;
        }
        // out of order or a replay: binary search the position
        int lo = 0;
        int hi = size - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long t = timestampAt(mid);
            if (t < timestamp) {
                lo = mid + 1;
            } else if (t > timestamp) {
                hi = mid - 1;
            } else {
                set(mid, timestamp, value);
                return true;
            }
        }
        if (size == cap) {
            if (lo == 0) {
                return false; // older than everything kept
            }
            dropOldest(1);
            lo--;
        }
        ensureCapacity(size + 1, cap);
        for (int i = size; i > lo; i--) {
            int to = at(i);
            int from = at(i - 1);
            samples[to] = samples[from];
            samples[to + 1] = samples[from + 1];
        }
        set(lo, timestamp, value);
        size++;
        return true;
    }

    /** Drops samples older than {@code cutoff}; returns how many. */
    public int expire(long cutoff) {
        int n = 0;
        while (size > 0 && samples[head << 1] < cutoff) {
            dropOldest(1);
            n++;
        }
        return n;
    }

    private void dropOldest(int n) {
        head = at(n) >> 1;
        size -= n;
        if (size == 0) {
            head = 0;
        }
    }

    private void ensureCapacity(int needed, int cap) {
        if (needed <= capacity()) {
            return;
        }
        int newCap = Math.min(Math.max(needed, capacity() * 2), Math.max(cap, needed));
        long[] n = new long[2 * newCap];
        for (int i = 0; i < size; i++) {
            int a = at(i);
            n[2 * i] = samples[a];
            n[2 * i + 1] = samples[a + 1];
        }
        samples = n;
        head = 0;
    }

    /** Lets the samples go: the pool no longer holds the series (a decoder may still point at it). */
    void release() {
        removed = true;
        samples = NO_SAMPLES;
        head = 0;
        size = 0;
        older = null;
        newer = null;
    }

    /** Approximate heap bytes held by this series (for the size bound in the docs and tests). */
    public long approximateBytes() {
        return 64 + 2L * key.length() + 8L * samples.length + 24;
    }

    /** The samples in [from, to], newest first, at most {@code limit}. */
    public Sample[] newestFirst(long from, long to, int limit) {
        Sample[] out = new Sample[Math.min(limit, size)];
        int n = 0;
        for (int i = size - 1; i >= 0 && n < out.length; i--) {
            long t = timestampAt(i);
            if (t > to) {
                continue;
            }
            if (t < from) {
                break;
            }
            out[n++] = new Sample(t, valueAt(i));
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /**
     * Copies the samples in [max(from, floor), to], newest first, into {@code ts} and {@code values},
     * at most as many as they hold; returns how many.
     */
    public int copyNewestFirst(long from, long to, long floor, long[] ts, double[] values) {
        long lowest = Math.max(from, floor);
        int n = 0;
        for (int i = size - 1; i >= 0 && n < ts.length; i--) {
            long t = timestampAt(i);
            if (t > to) {
                continue;
            }
            if (t < lowest) {
                break;
            }
            ts[n] = t;
            values[n++] = valueAt(i);
        }
        return n;
    }

    /** One sample. */
    public record Sample(long timestamp, double value) {
    }
}
