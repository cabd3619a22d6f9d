package io.mpipe.exporter.topology;

import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricDecodeException;
import io.mpipe.common.wire.SampleDecoder;
import io.mpipe.exporter.store.SeriesWindow;
import io.mpipe.exporter.store.WindowedLruStore;
import io.prometheus.client.Counter;
import java.time.Duration;
import java.util.function.Supplier;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Decodes each record and stores it under its canonical series key (computed from the value; a
 * record whose key is not that key is refused, as the sink refuses it); the name and labels are only built and checked for a series the
 * store does not hold yet (see {@link SampleDecoder}). The decoder keeps each series' window with
 * its memory of the series, so a known series' sample goes to its window without a lookup.
 * Records that are not valid metrics are counted and skipped: the sink dead-letters them, the
 * exporter only serves what is valid. A wall-clock punctuation drops what left the window.
 */
final class SampleProcessor implements Processor<byte[], byte[], Void, Void> {
    private final Duration expiryInterval;
    private final RecordCount count;
    /** This processor's part of the count, from init to close (Kafka Streams may init a processor again). */
    private RecordCount.Cell processed;
    private final Counter invalid;
    private ProcessorContext<Void, Void> context;
    private WindowedLruStore store;
    private final SampleDecoder decoder = new SampleDecoder();
    /** Name and labels, checked, for a series the store does not hold yet. */
    private final Supplier<Metric> newSeries = decoder::metric;

    private final long maxFutureMs;

    SampleProcessor(Duration expiryInterval, RecordCount processed, Counter invalid, long maxFutureMs) {
        this.maxFutureMs = maxFutureMs;
        this.expiryInterval = expiryInterval;
        this.count = processed;
        this.invalid = invalid;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        this.processed = count.cell();
        this.store = context.getStateStore(ExporterTopology.STORE);
        context.schedule(expiryInterval, PunctuationType.WALL_CLOCK_TIME, now -> store.pool().expire(now));
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        try {
            decoder.decode(record.key(), record.value());
            decoder.checkKey(record.key());
            long now = context.currentSystemTimeMs();
            if (decoder.timestamp() > now + maxFutureMs) {
                invalid.inc(); // it would be the series' latest value until the clock caught up with it
                return;
            }
            Object known = decoder.attachment();
            SeriesWindow w = store.put(decoder.key(), (SeriesWindow) known, decoder.timestamp(), decoder.value(),
                    now, newSeries);
            if (w != known && w != null) {
                decoder.attach(w); // the series' next record finds its window without a lookup
            }
        } catch (MetricDecodeException e) {
            invalid.inc(); // the sink dead-letters these; the exporter serves only what is valid
            return;
        }
        processed.increment();
    }

    @Override
    public void close() {
        if (processed != null) {
            processed.close();
            processed = null;
        }
    }
}
