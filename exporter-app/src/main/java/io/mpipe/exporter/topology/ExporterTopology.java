package io.mpipe.exporter.topology;

import io.mpipe.exporter.store.SeriesPool;
import io.mpipe.exporter.store.StoreRebuilder;
import io.mpipe.exporter.store.WindowedLruStoreBuilder;
import io.prometheus.client.Counter;
import java.time.Duration;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.Topology;

/**
 * The exporter's topology, a pure function of its inputs: the metrics topic into the windowed LRU
 * store. Store and node names are constants shared with the query layer.
 */
public final class ExporterTopology {
    public static final String STORE = "recent-samples";
    public static final String SOURCE = "metrics-source";
    public static final String PROCESSOR = "store-samples";

    /**
     * What the topology is built from.
     *
     * @param rebuilder      null for no rebuild from the topic when a task starts (tests)
     * @param expiryInterval how often samples that left the window are dropped
     * @param maxFuture      a sample further ahead of the clock is not stored (counted as invalid)
     */
    public record Settings(String topic, SeriesPool pool, StoreRebuilder rebuilder, Duration expiryInterval,
            RecordCount processed, Counter invalid, Duration maxFuture) {

        /** Settings with the default {@code exporter.max-future}, an hour. */
        public Settings(String topic, SeriesPool pool, StoreRebuilder rebuilder, Duration expiryInterval,
                RecordCount processed, Counter invalid) {
            this(topic, pool, rebuilder, expiryInterval, processed, invalid, Duration.ofHours(1));
        }
    }

    private ExporterTopology() {
    }

    public static Topology build(Settings s) {
        Topology t = new Topology();
        t.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), s.topic());
        t.addProcessor(PROCESSOR, () -> new SampleProcessor(s.expiryInterval(), s.processed(), s.invalid(),
                s.maxFuture().toMillis()), SOURCE);
        t.addStateStore(new WindowedLruStoreBuilder(STORE, s.pool(), s.rebuilder()), PROCESSOR);
        return t;
    }
}
