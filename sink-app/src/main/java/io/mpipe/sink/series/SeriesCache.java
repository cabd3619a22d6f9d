package io.mpipe.sink.series;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Series key to series id, least recently used evicted beyond {@code capacity}. Only ids of
 * committed series rows go in, so an entry is never stale. Used by one thread (the writer).
 */
public final class SeriesCache {
    private final int capacity;
    private final LinkedHashMap<String, Long> map;
    private long hits;
    private long misses;

    public SeriesCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
        this.map = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > SeriesCache.this.capacity;
            }
        };
    }

    /** The id, or -1 when not cached; counts a hit or a miss. */
    public long get(String key) {
        Long id = map.get(key);
        if (id == null) {
            misses++;
            return -1;
        }
        hits++;
        return id;
    }

    public void put(String key, long id) {
        map.put(key, id);
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
