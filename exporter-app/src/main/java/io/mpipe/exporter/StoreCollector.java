package io.mpipe.exporter;

import io.mpipe.common.metric.Labels;
import io.mpipe.exporter.store.SeriesPool;
import io.prometheus.client.Collector;
import io.prometheus.client.GaugeMetricFamily;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the exported series at scrape time from this instance's store: the latest value of every
 * series that received something within stale-after. Names ending in {@code _total} are exported
 * as counters, the rest untyped. Names that would collide with the exporter's own metrics
 * ({@value #RESERVED} prefixes) are left out; {@value #RESERVED_SERIES} says how many were.
 *
 * <p>Two store names never make one family: {@code /metrics} speaks the Prometheus text format
 * 0.0.4, where a family is named as its samples are ({@code # TYPE foo_total counter} for a series
 * {@code foo_total}, {@code # TYPE foo untyped} for a series {@code foo}; OpenMetrics, which would
 * name both {@code foo}, is not offered), and a name ending in {@code _total_total} is exported
 * untyped (see {@link #isCounterName}; counted in {@value #UNTYPED_SERIES}). A series that cannot
 * be rendered is left out and counted in {@code exporter_scrape_errors_total}, and the rest of the
 * scrape is served.
 */
public final class StoreCollector extends Collector {
    static final String RESERVED = "exporter_, jvm_, process_, kafka_consumergroup_, kafka_partition_";
    private static final String[] RESERVED_PREFIXES = RESERVED.split(", ");
    static final String RESERVED_SERIES = "exporter_reserved_name_series";
    static final String UNTYPED_SERIES = "exporter_untyped_total_series";
    private static final String TOTAL = "_total";
    private static final String HELP = "Latest value from the metrics topic";

    private final SeriesPool pool;
    private final Clock clock;
    private final ExporterMetrics metrics;

    public StoreCollector(SeriesPool pool, Clock clock, ExporterMetrics metrics) {
        this.pool = pool;
        this.clock = clock;
        this.metrics = metrics;
    }

    @Override
    public List<MetricFamilySamples> collect() {
        long t0 = System.nanoTime();
        Map<String, List<MetricFamilySamples.Sample>> byName = new HashMap<>();
        long[] skipped = {0};
        try {
            pool.forEachLatest(clock.millis(), l -> {
                if (reserved(l.name())) {
                    skipped[0]++;
                    return;
                }
                try {
                    Labels labels = l.labels();
                    List<String> names = new ArrayList<>(labels.size());
                    List<String> values = new ArrayList<>(labels.size());
                    for (int i = 0; i < labels.size(); i++) {
                        names.add(labels.nameAt(i));
                        values.add(labels.valueAt(i));
                    }
                    byName.computeIfAbsent(l.name(), k -> new ArrayList<>())
                            .add(new MetricFamilySamples.Sample(l.name(), names, values, l.value()));
                } catch (RuntimeException e) {
                    metrics.scrapeErrors.inc();
                }
            });
        } catch (RuntimeException e) {
            metrics.scrapeErrors.inc(); // the series gathered so far are served
        }
        List<MetricFamilySamples> out = new ArrayList<>(byName.size() + 1);
        out.add(new GaugeMetricFamily(RESERVED_SERIES, "Series held but left out of /metrics because their names"
                + " start with a prefix of the exporter's own metrics (" + RESERVED + ")", skipped[0]));
        long[] untyped = {0};
        byName.forEach((name, samples) -> {
            if (isCounterName(name)) {
                out.add(new MetricFamilySamples(name.substring(0, name.length() - TOTAL.length()), Type.COUNTER,
                        HELP, samples));
            } else {
                if (name.endsWith(TOTAL)) {
                    untyped[0] += samples.size();
                }
                out.add(new MetricFamilySamples(name, Type.UNKNOWN, HELP, samples));
            }
        });
        out.add(new GaugeMetricFamily(UNTYPED_SERIES, "Series named ..._total_total exported untyped, so that their"
                + " family and the counter family of ..._total are not one name", untyped[0]));
        metrics.scrapeSeconds.observe((System.nanoTime() - t0) / 1e9);
        return out;
    }

    /**
     * A name exported as a counter: it ends in {@code _total} and what is before does not. The text
     * format names a counter family with one {@code _total}, so {@code foo_total_total} as a counter
     * would be the family {@code foo_total}, which {@code foo_total} already is; it goes untyped.
     */
    static boolean isCounterName(String name) {
        if (!name.endsWith(TOTAL) || name.length() == TOTAL.length()) {
            return false;
        }
        String stem = name.substring(0, name.length() - TOTAL.length());
        return !stem.endsWith(TOTAL);
    }

    static boolean reserved(String name) {
        for (String p : RESERVED_PREFIXES) {
            if (name.startsWith(p)) {
                return true;
            }
        }
        return false;
    }
}
