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
 */
public final class StoreCollector extends Collector {
    static final String RESERVED = "exporter_, jvm_, process_, kafka_consumergroup_, kafka_partition_";
    private static final String[] RESERVED_PREFIXES = RESERVED.split(", ");
    static final String RESERVED_SERIES = "exporter_reserved_name_series";
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
        pool.forEachLatest(clock.millis(), l -> {
            if (reserved(l.name())) {
                skipped[0]++;
                return;
            }
            Labels labels = l.labels();
            List<String> names = new ArrayList<>(labels.size());
            List<String> values = new ArrayList<>(labels.size());
            for (int i = 0; i < labels.size(); i++) {
                names.add(labels.nameAt(i));
                values.add(labels.valueAt(i));
            }
            byName.computeIfAbsent(l.name(), k -> new ArrayList<>())
                    .add(new MetricFamilySamples.Sample(l.name(), names, values, l.value()));
        });
        List<MetricFamilySamples> out = new ArrayList<>(byName.size() + 1);
        out.add(new GaugeMetricFamily(RESERVED_SERIES, "Series held but left out of /metrics because their names"
                + " start with a prefix of the exporter's own metrics (" + RESERVED + ")", skipped[0]));
        byName.forEach((name, samples) -> {
            if (name.endsWith("_total") && name.length() > "_total".length()) {
                out.add(new MetricFamilySamples(name.substring(0, name.length() - "_total".length()), Type.COUNTER,
                        HELP, samples));
            } else {
                out.add(new MetricFamilySamples(name, Type.UNKNOWN, HELP, samples));
            }
        });
        metrics.scrapeSeconds.observe((System.nanoTime() - t0) / 1e9);
        return out;
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
