package io.mpipe.sink;

import io.mpipe.sink.batch.Batch;
import io.mpipe.sink.copy.WriteResult;
import io.mpipe.sink.series.SeriesCache;
import io.mpipe.sink.write.WritePath;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.Histogram;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** The sink's own metrics, registered on the registry passed in. */
public final class SinkMetrics {
    final Counter rowsWritten;
    final Counter duplicates;
    private final Counter.Child batchesCommitted;
    final Counter.Child batchesFailed;
    final Counter.Child batchesFenced;
    final Histogram batchRows;
    final Histogram commitSeconds;
    final Counter deadLetters;
    final Counter retries;
    final Counter skipped;
    final Counter recordsConsumed;
    final Counter deferred;
    private final Counter rowsOutOfOrder;
    final Gauge up;
    private final AtomicLong newestCommittedTimestamp = new AtomicLong(Long.MIN_VALUE);
    private final Clock clock;

    public SinkMetrics(CollectorRegistry registry, Clock clock, SeriesCache cache) {
        this.clock = clock;
        rowsWritten = Counter.build("sink_rows_written_total", "Sample rows committed to PostgreSQL")
                .register(registry);
        duplicates = Counter.build("sink_duplicate_rows_total",
                "Sample rows skipped because the same series and timestamp was already stored").register(registry);
        Counter batches = Counter.build("sink_batches_total", "Batches handed to PostgreSQL, by outcome")
                .labelNames("outcome").register(registry);
        // both outcomes exported from the start, at 0: a rate over them needs the series before the first
        batchesCommitted = batches.labels("committed");
        batchesFailed = batches.labels("failed");
        // refused by the offsets in PostgreSQL: another sink holds the partitions (see OffsetStore)
        batchesFenced = batches.labels("fenced");
        batchRows = Histogram.build("sink_batch_rows", "Rows per committed batch")
                .buckets(10, 100, 1_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000).register(registry);
        commitSeconds = Histogram.build("sink_commit_duration_seconds",
                        "Time to write and commit one batch (series, COPY, offsets)")
                .buckets(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10).register(registry);
        deadLetters = Counter.build("sink_dlq_records_total",
                "Records sent to the dead-letter topic, by the field that was wrong").labelNames("field").register(registry);
        retries = Counter.build("sink_retries_total", "Batch writes retried after a failure (database unreachable ...)")
                .register(registry);
        skipped = Counter.build("sink_samples_skipped_total", "Samples consumed but not stored, by reason")
                .labelNames("reason").register(registry);
        recordsConsumed = Counter.build("sink_records_consumed_total", "Records read from Kafka").register(registry);
        deferred = Counter.build("sink_records_deferred_total", "Records left for the next batch (and read again)"
                + " because their batch had created sink.max-new-partitions-per-batch time partitions already")
                .register(registry);
        rowsOutOfOrder = Counter.build("sink_rows_out_of_order_total",
                "Sample rows committed that were older than the newest row this sink had committed before"
                        + " (PostgreSQL inserts them more slowly)").register(registry);
        up = Gauge.build("sink_up", "1 while the sink consumes and PostgreSQL accepts its writes, else 0")
                .register(registry);
        new Collector() {
            @Override
            public List<MetricFamilySamples> collect() {
                long newest = newestCommittedTimestamp.get();
                double age = newest == Long.MIN_VALUE ? Double.NaN : Math.max(0, clock.millis() - newest) / 1000.0;
                return List.of(
                        new GaugeMetricFamily("sink_newest_committed_record_age_seconds",
                                "Now minus the timestamp of the newest sample committed", age),
                        new CounterMetricFamily("sink_series_cache_hits_total",
                                "Series id lookups answered by the cache", cache.hits()),
                        new CounterMetricFamily("sink_series_cache_misses_total",
                                "Series id lookups that went to PostgreSQL", cache.misses()),
                        new GaugeMetricFamily("sink_series_cache_entries", "Series ids cached", cache.size()));
            }
        }.register(registry);
    }

    /** What the write path reports: retries, and rows PostgreSQL refused. */
    WritePath.Listener writeListener() {
        return new WritePath.Listener() {
            @Override
            public void retrying(Throwable e) {
                up.set(0);
                retries.inc();
                batchesFailed.inc();
            }

            @Override
            public void refused(int rows) {
                deadLetters.labels(WritePath.POSTGRES_FIELD).inc(rows);
            }
        };
    }

    /** A batch is committed: {@code r} says how it went, {@code b} is what it held. Called by one thread. */
    void committed(WriteResult r, Batch b) {
        long newestBefore = newestCommittedTimestamp.get();
        long older = 0;
        for (int i = 0; i < b.size(); i++) {
            if (b.timestamp(i) < newestBefore) {
                older++;
            }
        }
        rowsOutOfOrder.inc(older);
        batchesCommitted.inc();
        up.set(1);
        rowsWritten.inc(r.inserted());
        duplicates.inc(r.duplicates());
        batchRows.observe(r.rows());
        commitSeconds.observe(r.commitNanos() / 1e9);
        if (r.newestTimestamp() != Long.MIN_VALUE) {
            newestCommittedTimestamp.accumulateAndGet(r.newestTimestamp(), Math::max);
        }
    }
}
