package io.mpipe.exporter;

import io.mpipe.exporter.store.SeriesPool;
import io.mpipe.exporter.store.StoreStats;
import io.mpipe.exporter.topology.RecordCount;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.Gauge;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.Histogram;
import java.util.List;

/** The exporter's own metrics, registered on the registry passed in. */
public final class ExporterMetrics {
    public final RecordCount processed = new RecordCount();
    public final Counter invalid;
    public final Histogram scrapeSeconds;
    public final Counter scrapeErrors;
    public final Counter queries;
    public final Gauge ready;

    public ExporterMetrics(CollectorRegistry registry, SeriesPool pool) {
        invalid = Counter.build("exporter_records_invalid_total", "Records that are not valid metrics, whose key is"
                + " not their series key, or whose sample is more than exporter.max-future ahead (skipped)")
                .register(registry);
        scrapeErrors = Counter.build("exporter_scrape_errors_total", "Series left out of a /metrics scrape because"
                + " they could not be rendered (the rest of the scrape is served)").register(registry);
        scrapeSeconds = Histogram.build("exporter_scrape_duration_seconds",
                        "Time to collect the exported series for one /metrics scrape")
                .buckets(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5).register(registry);
        queries = Counter.build("exporter_queries_total", "Query API requests, by route and the tier that answered")
                .labelNames("route", "tier").register(registry);
        ready = Gauge.build("exporter_ready", "1 when the instance serves queries (Kafka Streams RUNNING)")
                .register(registry);
        StoreStats stats = pool.stats();
        new Collector() {
            @Override
            public List<MetricFamilySamples> collect() {
                return List.of(
                        new CounterMetricFamily("exporter_records_processed_total",
                                "Records read from the metrics topic into the store", processed.get()),
                        new GaugeMetricFamily("exporter_store_series", "Series held in the store", pool.seriesCount()),
                        new GaugeMetricFamily("exporter_store_max_series", "Most series the store holds",
                                pool.settings().maxSeries()),
                        new GaugeMetricFamily("exporter_store_samples", "Samples held in the store", pool.sampleCount()),
                        new GaugeMetricFamily("exporter_store_bytes", "Approximate heap held by the store",
                                pool.approximateBytes()),
                        new CounterMetricFamily("exporter_store_hits_total", "Lookups the store answered", stats.hits()),
                        new CounterMetricFamily("exporter_store_misses_total",
                                "Lookups the store could not answer (history tier or nothing)", stats.misses()),
                        new CounterMetricFamily("exporter_store_evictions_total",
                                "Series evicted as least recently used", stats.evictions()),
                        new CounterMetricFamily("exporter_store_expired_series_total",
                                "Series removed because all their samples left the window", stats.expiredSeries()),
                        new CounterMetricFamily("exporter_store_dropped_samples_total",
                                "Samples not stored: older than the window or than a full series", stats.droppedSamples()));
            }
        }.register(registry);
    }
}
