package io.mpipe.exporter.store;

import io.mpipe.common.metric.Labels;
import java.util.Arrays;

/**
 * The recent samples of one series, in timestamp order, at most {@code cap} of them (the newest).
 * A ring of primitive arrays that grows on demand: a series that sends once a minute costs a few
 * dozen bytes, not {@code cap} slots. Out-of-order samples are inserted in order; a sample with a
 * timestamp already held replaces that value (a replay); the latest value never moves back in time.
 *
 * <p>Not thread-safe; the store guards it.
 */
public final class SeriesWindow {
    private final int partition;
    private final String key;
    private final String name;
    private final Labels labels;
    private long[] ts;
    private double[] values;
    private int head;
    private int size;
    private long lastUpdateMs;

    public SeriesWindow(int partition, String key, String name, Labels labels) {
        this.partition = partition;
        this.key = key;
        this.name = name;
        this.labels = labels;
        this.ts = new long[2];
        this.values = new double[2];
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

    /** Slot of the {@code i}th sample, 0 <= i <= size (a subtraction, not a division: it runs for every sample). */
    private int idx(int i) {
        int j = head + i;
        return j >= ts.length ? j - ts.length : j;
    }

    public long timestampAt(int i) {
        return ts[idx(i)];
    }

    public double valueAt(int i) {
        return values[idx(i)];
    }

    public long latestTimestamp() {
        return size == 0 ? Long.MIN_VALUE : ts[idx(size - 1)];
    }

    public double latestValue() {
        return values[idx(size - 1)];
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
            ts[idx(size)] = timestamp;
            values[idx(size)] = value;
            size++;
            return true;
        }
        // out of order or a replay: binary search the position
        int lo = 0;
        int hi = size - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long t = ts[idx(mid)];
            if (t < timestamp) {
                lo = mid + 1;
            } else if (t > timestamp) {
                hi = mid - 1;
            } else {
                values[idx(mid)] = value;
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
            ts[idx(i)] = ts[idx(i - 1)];
            values[idx(i)] = values[idx(i - 1)];
        }
        ts[idx(lo)] = timestamp;
        values[idx(lo)] = value;
        size++;
        return true;
    }

    /** Drops samples older than {@code cutoff}; returns how many. */
    public int expire(long cutoff) {
        int n = 0;
        while (size > 0 && ts[head] < cutoff) {
            dropOldest(1);
            n++;
        }
        return n;
    }

    private void dropOldest(int n) {
        head = idx(n);
        size -= n;
        if (size == 0) {
            head = 0;
        }
    }

    private void ensureCapacity(int needed, int cap) {
        if (needed <= ts.length) {
            return;
        }
        int newCap = Math.min(Math.max(needed, ts.length * 2), Math.max(cap, needed));
        long[] nt = new long[newCap];
        double[] nv = new double[newCap];
        for (int i = 0; i < size; i++) {
            nt[i] = ts[idx(i)];
            nv[i] = values[idx(i)];
        }
        ts = nt;
        values = nv;
        head = 0;
    }

    /** Approximate heap bytes held by this series (for the size bound in the docs and tests). */
    public long approximateBytes() {
        return 64 + 2L * key.length() + 16L * ts.length + 48;
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

    /** One sample. */
    public record Sample(long timestamp, double value) {
    }
}
