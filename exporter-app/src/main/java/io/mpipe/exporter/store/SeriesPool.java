package io.mpipe.exporter.store;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The series of one exporter instance, bounded in time and in count: per series the samples of
 * the last {@code window} (capped per series), at most {@code maxSeries} series across all the
 * partitions the instance holds, the least recently used evicted first. A new sample and a query
 * of the series are both a use; a scrape of /metrics is not (it reads every series and would make
 * them all recent).
 *
 * <p>Each task's {@link WindowedLruStore} writes into this one pool, tagging its series with the
 * partition, so the bound holds per instance however many partitions it has.
 *
 * <p>The use order is a list through the windows themselves, least recently used first, beside a
 * map from key to window. A writer that kept the window from its last sample of the series (the
 * exporter keeps it with the decoder's memory of the series) passes it back and skips the map.
 *
 * <p>Thread-safe: stream threads write, HTTP threads query; one monitor guards the map and the
 * order (a query is a use and reorders, so a read-write lock would not do).
 */
public final class SeriesPool {
    private final StoreSettings settings;
    private final StoreStats stats;
    private final HashMap<String, SeriesWindow> series;
    /** The least and the most recently used series: the ends of the use order. */
    private SeriesWindow oldest;
    private SeriesWindow newest;
    /** Series by metric name, so a query by name looks at that name's series only. */
    private final Map<String, Set<SeriesWindow>> byName = new HashMap<>();
    private long lastExpiryMs = Long.MIN_VALUE;

    public SeriesPool(StoreSettings settings, StoreStats stats) {
        this.settings = settings;
        this.stats = stats;
        // sized for the bound up to a million series, so filling the store does not rehash it
        this.series = new HashMap<>((int) (Math.min(settings.maxSeries(), 1 << 20) / 0.75f) + 1);
    }

    /**
     * Stores a sample received at wall-clock {@code nowMs}. Samples outside the window are dropped
     * (and counted).
     */
    public void put(int partition, String key, Metric m, long nowMs) {
        put(partition, key, null, m.timestamp(), m.value(), nowMs, () -> m);
    }

    /**
     * Stores a sample of the series {@code key}; {@code newSeries} gives its name and labels,
     * and is only called when the pool does not hold the series. When it throws, nothing is
     * stored.
     *
     * @param known the series' window as an earlier put of the same key returned it, or null; a
     *              window the pool has let go of since (evicted, expired) is not used
     * @return the series' window, to pass back with the series' next sample; null when the sample
     *         was too old to store (then the series was not looked up)
     */
    public SeriesWindow put(int partition, String key, SeriesWindow known, long timestamp, double value, long nowMs,
            Supplier<Metric> newSeries) {
        long cutoff = nowMs - settings.window().toMillis();
        if (timestamp < cutoff) {
            stats.sampleDropped();
            return null;
        }
        synchronized (this) {
            SeriesWindow w = known != null && !known.removed ? known : series.get(key);
            if (w == null) {
                Metric m = newSeries.get();
                w = new SeriesWindow(partition, key, m.name(), m.labels());
                series.put(key, w);
                byName.computeIfAbsent(w.name(), n -> new HashSet<>()).add(w);
                append(w);
                if (series.size() > settings.maxSeries()) {
                    remove(oldest);
                    stats.evicted();
                }
            } else {
                use(w);
            }
            if (!w.add(timestamp, value, settings.maxSamplesPerSeries(), nowMs)) {
                stats.sampleDropped();
            }
            return w;
        }
    }

    /** Makes {@code w} the most recently used. */
    private void use(SeriesWindow w) {
        if (w == newest) {
            return;
        }
        unlink(w);
        append(w);
    }

    private void append(SeriesWindow w) {
        w.older = newest;
        w.newer = null;
        if (newest != null) {
            newest.newer = w;
        } else {
            oldest = w;
        }
        newest = w;
    }

    private void unlink(SeriesWindow w) {
        if (w.older != null) {
            w.older.newer = w.newer;
        } else {
            oldest = w.newer;
        }
        if (w.newer != null) {
            w.newer.older = w.older;
        } else {
            newest = w.older;
        }
    }

    /**
     * Removes every series {@code gone} says is gone, in use order (which it does not change
     * otherwise); returns how many.
     */
    private int removeWhere(Predicate<SeriesWindow> gone) {
        int n = 0;
        for (SeriesWindow w = oldest; w != null; ) {
            SeriesWindow next = w.newer;
            if (gone.test(w)) {
                remove(w);
                n++;
            }
            w = next;
        }
        return n;
    }

    /** Takes the series out of the map, the order and the name index, and lets its samples go. */
    private void remove(SeriesWindow w) {
        series.remove(w.key());
        unlink(w);
        unindex(w);
        w.release();
    }

    /**
     * Drops samples older than the window, and series left with none. Returns the series removed.
     */
    public int expire(long nowMs) {
        long cutoff = nowMs - settings.window().toMillis();
        int removed;
        synchronized (this) {
            if (nowMs == lastExpiryMs) {
                return 0; // several tasks' punctuations at the same instant: once is enough
            }
            lastExpiryMs = nowMs;
            removed = removeWhere(w -> {
                w.expire(cutoff);
                return w.size() == 0;
            });
        }
        stats.expired(removed);
        return removed;
    }

    /** A copy of one series' samples in [from, to], newest first; a hit or a miss, and a use. */
    public SeriesSnapshot get(String key, long from, long to, int limit) {
        synchronized (this) {
            SeriesWindow w = series.get(key);
            if (w == null) {
                stats.miss();
                return null;
            }
            use(w);
            stats.hit();
            return SeriesSnapshot.of(w, from, to, limit);
        }
    }

    private void unindex(SeriesWindow w) {
        Set<SeriesWindow> same = byName.get(w.name());
        if (same != null) {
            same.remove(w);
            if (same.isEmpty()) {
                byName.remove(w.name());
            }
        }
    }

    /**
     * Series matching {@code filter} (by name and labels), each a use and a hit, with the newest
     * {@code limit} samples in [from, to] among them; see {@link #find(String, Predicate, long, long, int, int)}.
     */
    public List<SeriesSnapshot> find(String name, Predicate<SeriesWindow> filter, long from, long to, int limit) {
        return find(name, filter, from, to, limit, Integer.MAX_VALUE).series();
    }

    /** What a query found: the key of every series that matched, and a copy of the samples answered. */
    public record Found(List<String> keys, List<SeriesSnapshot> series) {
    }

    /** A query matched more series than it may. */
    public static final class TooManySeriesException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int max;

        TooManySeriesException(int max) {
            super("matches more than " + max + " series", null, false, false);
            this.max = max;
        }

        public int max() {
            return max;
        }
    }

    /**
     * Series matching {@code filter} (by name and labels), each a use and a hit, and the newest
     * {@code limit} samples in [from, to] among all of them (newest first, then by name and labels,
     * as every instance orders a merge), grouped by series in a snapshot each.
     *
     * <p>The cost is bounded, and so is the time ingest waits for it: the candidates' references
     * are copied under the lock (the store's series, or a name's), matched outside it (a series'
     * name and labels never change), and each matched series' samples are read under the lock
     * one series at a time, at most {@code limit} of them and none older than the oldest sample
     * kept so far once {@code limit} are kept. What is kept never exceeds {@code limit} samples.
     *
     * @param name      the metric name when the query has one (only its series are looked at), or null
     * @param maxSeries the most series a query may match
     * @throws TooManySeriesException when more than {@code maxSeries} match (nothing is copied)
     */
    public Found find(String name, Predicate<SeriesWindow> filter, long from, long to, int limit, int maxSeries) {
        SeriesWindow[] candidates;
        synchronized (this) {
            Collection<SeriesWindow> c = name == null ? series.values() : byName.getOrDefault(name, Set.of());
            candidates = c.toArray(new SeriesWindow[0]);
        }
        List<SeriesWindow> matched = new ArrayList<>();
        for (SeriesWindow w : candidates) {
            if (filter.test(w)) {
                if (matched.size() == maxSeries) {
                    throw new TooManySeriesException(maxSeries);
                }
                matched.add(w);
            }
        }
        // the order of a merge among samples of one time: by name, then labels
        matched.sort(Comparator.comparing(SeriesWindow::name).thenComparing(w -> w.labels().toString()));
        Picks picks = new Picks(limit);
        int buffer = Math.min(limit, settings.maxSamplesPerSeries());
        long[] ts = new long[buffer];
        double[] vs = new double[buffer];
        List<String> keys = new ArrayList<>(matched.size());
        for (int rank = 0; rank < matched.size(); rank++) {
            SeriesWindow w = matched.get(rank);
            int n;
            synchronized (this) {
                if (w.removed) {
                    continue;
                }
                use(w); // a query is a use
                n = w.copyNewestFirst(from, to, picks.floor(), ts, vs);
            }
            stats.hit();
            keys.add(w.key());
            for (int i = 0; i < n && picks.offer(ts[i], vs[i], rank); i++) {
                // offer until one is not kept: the rest of this series' samples are older
            }
        }
        return new Found(keys, picks.snapshots(matched));
    }

    /**
     * The newest samples offered, at most {@code limit}: a heap whose head is the one a merge would
     * put last (the oldest, then the last by series rank).
     */
    private static final class Picks {
        private final int limit;
        private final PriorityQueue<long[]> heap;

        Picks(int limit) {
            this.limit = limit;
            // {timestamp, value bits, series rank}; the worst first
            this.heap = new PriorityQueue<>(Math.min(limit, 1024), (a, b) -> a[0] != b[0]
                    ? Long.compare(a[0], b[0]) : Long.compare(b[2], a[2]));
        }

        /** Samples older than this cannot be kept; {@link Long#MIN_VALUE} while there is room. */
        long floor() {
            return heap.size() < limit ? Long.MIN_VALUE : heap.peek()[0];
        }

        /** Keeps the sample if it is among the newest; false when it is not (nor will older ones be). */
        boolean offer(long ts, double value, int rank) {
            if (heap.size() < limit) {
                heap.add(new long[] {ts, Double.doubleToRawLongBits(value), rank});
                return true;
            }
            long[] worst = heap.peek();
            if (ts > worst[0] || (ts == worst[0] && rank < worst[2])) {
                heap.poll();
                heap.add(new long[] {ts, Double.doubleToRawLongBits(value), rank});
                return true;
            }
            return false;
        }

        /** A snapshot per series in {@code matched} (rank order), its kept samples newest first. */
        List<SeriesSnapshot> snapshots(List<SeriesWindow> matched) {
            List<List<SeriesWindow.Sample>> bySeries = new ArrayList<>(matched.size());
            for (int i = 0; i < matched.size(); i++) {
                bySeries.add(new ArrayList<>());
            }
            for (long[] p : heap) {
                bySeries.get((int) p[2]).add(new SeriesWindow.Sample(p[0], Double.longBitsToDouble(p[1])));
            }
            List<SeriesSnapshot> out = new ArrayList<>(matched.size());
            for (int i = 0; i < matched.size(); i++) {
                SeriesWindow w = matched.get(i);
                List<SeriesWindow.Sample> samples = bySeries.get(i);
                samples.sort(Comparator.comparingLong(SeriesWindow.Sample::timestamp).reversed());
                out.add(new SeriesSnapshot(w.key(), w.name(), w.labels(), samples));
            }
            return out;
        }
    }

    /** Removes the series of a partition this instance no longer holds. */
    public int removePartition(int partition) {
        synchronized (this) {
            return removeWhere(w -> w.partition() == partition);
        }
    }

    /** True when the store holds {@code key} (no use, no hit). */
    public synchronized boolean contains(String key) {
        return series.containsKey(key);
    }

    /** Latest sample of every series that received something within stale-after; not a use. */
    public void forEachLatest(long nowMs, Consumer<Latest> consumer) {
        long staleBefore = nowMs - settings.staleAfter().toMillis();
        List<Latest> copy;
        synchronized (this) {
            copy = new ArrayList<>(series.size());
            for (SeriesWindow w = oldest; w != null; w = w.newer) {
                if (w.size() > 0 && w.lastUpdateMs() >= staleBefore) {
                    copy.add(new Latest(w.name(), w.labels(), w.latestTimestamp(), w.latestValue()));
                }
            }
        }
        copy.forEach(consumer);
    }

    /** The series from least to most recently used. */
    private List<SeriesWindow> inUseOrder() {
        List<SeriesWindow> all = new ArrayList<>(series.size());
        for (SeriesWindow w = oldest; w != null; w = w.newer) {
            all.add(w);
        }
        return all;
    }

    /** Keys from least to most recently used (tests assert the eviction order with it). */
    public synchronized List<String> keysByRecency() {
        List<String> keys = new ArrayList<>(series.size());
        for (SeriesWindow w = oldest; w != null; w = w.newer) {
            keys.add(w.key());
        }
        return keys;
    }

    public synchronized int seriesCount() {
        return series.size();
    }

    public synchronized long sampleCount() {
        long n = 0;
        for (SeriesWindow w : series.values()) {
            n += w.size();
        }
        return n;
    }

    /** Approximate heap held by the series and their samples. */
    public synchronized long approximateBytes() {
        long n = 0;
        for (SeriesWindow w : series.values()) {
            n += w.approximateBytes();
        }
        return n;
    }

    public StoreSettings settings() {
        return settings;
    }

    public StoreStats stats() {
        return stats;
    }

    /** The latest sample of a series. */
    public record Latest(String name, Labels labels, long timestamp, double value) {
    }
}
