package io.mpipe.exporter.topology;

import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;
import io.mpipe.common.wire.MetricDecodeException;
import io.mpipe.common.wire.MetricJson;
import io.mpipe.exporter.store.WindowedLruStore;
import io.prometheus.client.Counter;
import java.time.Duration;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Decodes each record and stores it under its canonical series key (computed from the value, not
 * trusted from the record key). Records that are not valid metrics are counted and skipped: the
 * sink dead-letters them, the exporter only serves what is valid. A wall-clock punctuation drops
 * what left the window.
 */
final class SampleProcessor implements Processor<byte[], byte[], Void, Void> {
    private final Duration expiryInterval;
    private final Counter processed;
    private final Counter invalid;
    private ProcessorContext<Void, Void> context;
    private WindowedLruStore store;

    SampleProcessor(Duration expiryInterval, Counter processed, Counter invalid) {
        this.expiryInterval = expiryInterval;
        this.processed = processed;
        this.invalid = invalid;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        this.store = context.getStateStore(ExporterTopology.STORE);
        context.schedule(expiryInterval, PunctuationType.WALL_CLOCK_TIME, now -> store.pool().expire(now));
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Metric m;
        String key;
        try {
            m = MetricJson.decode(record.value());
            key = m.seriesKey();
            MetricRules.checkSeriesKey(key); // the sink refuses these too
        } catch (MetricDecodeException | InvalidMetricException e) {
            invalid.inc();
            return;
        }
        store.put(key, m, context.currentSystemTimeMs());
        processed.inc();
    }
}
