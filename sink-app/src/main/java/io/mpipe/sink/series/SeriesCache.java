package io.mpipe.sink.series;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Series key to series id, least recently used evicted beyond {@code capacity}. Only ids of
 * committed series rows go in. With each id it keeps how far the series' {@code samples_until} is
 * known to reach in the database, so the writer moves it on only when a batch goes past it (once
 * per series and time partition). Used by one thread (the writer).
 */
public final class SeriesCache {
    private final int capacity;
    private final LinkedHashMap<String, Entry> map;
    private long hits;
    private long misses;

    /** A cached series: its id, and the {@code samples_until} the database is known to hold at least. */
    public static final class Entry {
        final long id;
        long untilMs;

        Entry(long id, long untilMs) {
            this.id = id;
            this.untilMs = untilMs;
        }

        public long id() {
            return id;
        }

        public long untilMs() {
            return untilMs;
        }
    }

    public SeriesCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
        this.map = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > SeriesCache.this.capacity;
            }
        };
    }

    /** The id, or -1 when not cached; counts a hit or a miss. */
    public long get(String key) {
        Entry e = entry(key);
        return e == null ? -1 : e.id;
    }

    /** The cached series, or null; counts a hit or a miss. */
    public Entry entry(String key) {
        Entry e = map.get(key);
        if (e == null) {
            misses++;
        } else {
            hits++;
        }
        return e;
    }

    /** Caches an id whose {@code samples_until} is unknown. */
    public void put(String key, long id) {
        put(key, id, Long.MIN_VALUE);
    }

    /** Caches an id and the {@code samples_until} the database holds for it (epoch ms). */
    public void put(String key, long id, long untilMs) {
        map.put(key, new Entry(id, untilMs));
    }

    /** Forgets every series: their rows may have been deleted. */
    public void clear() {
        map.clear();
    }

    public int size() {
        return map.size();
    }

    public long hits() {
        return hits;
    }

    public long misses() {
        return misses;
    }
}
