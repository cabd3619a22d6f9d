package io.mpipe.exporter.query;

import io.mpipe.common.http.HttpError;
import io.mpipe.exporter.store.SeriesPool;
import io.mpipe.exporter.store.WindowedLruStore;
import io.mpipe.exporter.topology.ExporterTopology;
import java.util.List;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.internals.StateStoreProvider;

/**
 * The one class that touches {@link KafkaStreams#store}: it gives the query layer this instance's
 * series, or HTTP 503 with Retry-After while the store is not queryable (a rebalance, a rebuild
 * after restart), never a stack trace.
 */
public final class LocalStores {
    static final int RETRY_AFTER_SECONDS = 2;

    private final KafkaStreams streams;
    private final SeriesPool pool;

    public LocalStores(KafkaStreams streams, SeriesPool pool) {
        this.streams = streams;
        this.pool = pool;
    }

    /** The local series, if the store can be queried now. */
    public SeriesPool pool() {
        KafkaStreams.State state = streams.state();
        if (state != KafkaStreams.State.RUNNING) {
            throw HttpError.unavailable("the exporter is " + state + "; retry shortly", RETRY_AFTER_SECONDS);
        }
        try {
            streams.store(StoreQueryParameters.fromNameAndType(ExporterTopology.STORE, new StoreType()));
        } catch (InvalidStateStoreException e) {
            throw HttpError.unavailable("the store is being rebalanced; retry shortly", RETRY_AFTER_SECONDS);
        }
        return pool;
    }

    public KafkaStreams streams() {
        return streams;
    }

    /** The queryable type of {@link WindowedLruStore}: all local task stores of the name. */
    static final class StoreType implements QueryableStoreType<List<WindowedLruStore>> {
        @Override
        public boolean accepts(StateStore stateStore) {
            return stateStore instanceof WindowedLruStore;
        }

        @Override
        public List<WindowedLruStore> create(StateStoreProvider provider, String storeName) {
            return provider.stores(storeName, new Single());
        }
    }

    /** One task's store; what the provider collects for {@link StoreType}. */
    static final class Single implements QueryableStoreType<WindowedLruStore> {
        @Override
        public boolean accepts(StateStore stateStore) {
            return stateStore instanceof WindowedLruStore;
        }

        @Override
        public WindowedLruStore create(StateStoreProvider provider, String storeName) {
            throw new UnsupportedOperationException("query all of them through StoreType");
        }
    }
}
