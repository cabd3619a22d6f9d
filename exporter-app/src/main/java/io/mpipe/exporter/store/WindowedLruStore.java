package io.mpipe.exporter.store;

import io.mpipe.common.metric.Metric;
import java.util.function.Supplier;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A state store that is both windowed and LRU-bounded, which Kafka Streams does not ship. One
 * instance per task (partition); the series live in the instance's shared {@link SeriesPool}, so
 * the series bound is per exporter instance.
 *
 * <p>It keeps no changelog: when a task starts, its partition is {@linkplain StoreRebuilder
 * rebuilt} from the source topic itself (the last window), before the task runs and so before the
 * instance reports ready. That costs one read of the recent data instead of writing every sample to
 * Kafka a second time. When the task goes (a rebalance, a shutdown) its series leave the pool.
 */
public final class WindowedLruStore implements StateStore {
    private static final Logger log = LoggerFactory.getLogger(WindowedLruStore.class);

    private final String name;
    private final SeriesPool pool;
    private final StoreRebuilder rebuilder;
    private volatile int partition = -1;
    private volatile boolean open;

    public WindowedLruStore(String name, SeriesPool pool, StoreRebuilder rebuilder) {
        this.name = name;
        this.pool = pool;
        this.rebuilder = rebuilder;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        partition = context.taskId().partition();
        context.register(root, (key, value) -> {
            // no changelog: nothing to restore through Streams
        });
        if (rebuilder != null) {
            long t0 = System.nanoTime();
            long n = rebuilder.rebuild(partition, pool.settings().window(), this);
            log.info("store {} partition {}: rebuilt {} samples from the source topic in {} ms", name, partition, n,
                    (System.nanoTime() - t0) / 1_000_000);
        }
        open = true;
    }

    /** Stores a sample of this store's partition; see {@link SeriesPool#put}. */
    public void put(String key, Metric m, long nowMs) {
        pool.put(partition, key, m, nowMs);
    }

    /**
     * Stores a sample of this store's partition; see
     * {@link SeriesPool#put(int, String, SeriesWindow, long, double, long, Supplier)}.
     */
    public SeriesWindow put(String key, SeriesWindow known, long timestamp, double value, long nowMs,
            Supplier<Metric> newSeries) {
        return pool.put(partition, key, known, timestamp, value, nowMs, newSeries);
    }

    public SeriesPool pool() {
        return pool;
    }

    public int partition() {
        return partition;
    }

    @Override
    public void flush() {
        // in memory; rebuilt from the source topic
    }

    @Override
    public void close() {
        open = false;
        if (partition >= 0) {
            pool.removePartition(partition);
        }
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }
}
