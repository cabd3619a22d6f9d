package io.mpipe.exporter.store;

import java.util.Map;
import org.apache.kafka.streams.state.StoreBuilder;

/** Builds {@link WindowedLruStore}s for the topology. Logging (a changelog) is not supported: see the store. */
public final class WindowedLruStoreBuilder implements StoreBuilder<WindowedLruStore> {
    private final String name;
    private final SeriesPool pool;
    private final StoreRebuilder rebuilder;

    /**
     * @param pool      shared by every task's store of this instance
     * @param rebuilder null for no rebuild at start (tests with TopologyTestDriver)
     */
    public WindowedLruStoreBuilder(String name, SeriesPool pool, StoreRebuilder rebuilder) {
        this.name = name;
        this.pool = pool;
        this.rebuilder = rebuilder;
    }

    @Override
    public StoreBuilder<WindowedLruStore> withCachingEnabled() {
        throw new UnsupportedOperationException("the windowed LRU store is its own cache");
    }

    @Override
    public StoreBuilder<WindowedLruStore> withCachingDisabled() {
        return this;
    }

    @Override
    public StoreBuilder<WindowedLruStore> withLoggingEnabled(Map<String, String> config) {
        throw new UnsupportedOperationException("the windowed LRU store is rebuilt from the source topic, not a"
                + " changelog");
    }

    @Override
    public StoreBuilder<WindowedLruStore> withLoggingDisabled() {
        return this;
    }

    @Override
    public WindowedLruStore build() {
        return new WindowedLruStore(name, pool, rebuilder);
    }

    @Override
    public Map<String, String> logConfig() {
        return Map.of();
    }

    @Override
    public boolean loggingEnabled() {
        return false;
    }

    @Override
    public String name() {
        return name;
    }
}
