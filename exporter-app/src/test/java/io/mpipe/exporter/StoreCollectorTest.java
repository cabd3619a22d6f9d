package io.mpipe.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.exporter.store.SeriesPool;
import io.mpipe.exporter.store.StoreSettings;
import io.mpipe.exporter.store.StoreStats;
import io.prometheus.client.CollectorRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class StoreCollectorTest {
    private static final long NOW = 1_800_000_000_000L;

    @Test
    void leavesOutSeriesNamedLikeTheExportersOwnMetricsAndSaysHowMany() {
        SeriesPool pool = new SeriesPool(new StoreSettings(Duration.ofMinutes(15), 100, 10, Duration.ofMinutes(5)),
                new StoreStats());
        put(pool, new Metric("app_up", NOW - 1_000, 1, Labels.of("job", "api")));
        put(pool, new Metric("jvm_threads_current", NOW - 1_000, 42, Labels.of("job", "api")));
        put(pool, new Metric("exporter_ready", NOW - 1_000, 1, Labels.EMPTY));
        CollectorRegistry registry = new CollectorRegistry();
        ExporterMetrics metrics = new ExporterMetrics(registry, pool);
        new StoreCollector(pool, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC), metrics).register(registry);

        assertThat(registry.getSampleValue("app_up", new String[] {"job"}, new String[] {"api"})).isEqualTo(1.0);
        assertThat(registry.getSampleValue("jvm_threads_current", new String[] {"job"}, new String[] {"api"}))
                .isNull();
        assertThat(registry.getSampleValue(StoreCollector.RESERVED_SERIES)).isEqualTo(2.0);
        // the exporter's own metric of that name is the one exported, not the stored series
        assertThat(registry.getSampleValue("exporter_ready")).isEqualTo(0.0);
    }

    @Test
    void saysNoneWhenNoSeriesIsLeftOut() {
        SeriesPool pool = new SeriesPool(new StoreSettings(Duration.ofMinutes(15), 100, 10, Duration.ofMinutes(5)),
                new StoreStats());
        put(pool, new Metric("app_up", NOW - 1_000, 1, Labels.EMPTY));
        CollectorRegistry registry = new CollectorRegistry();
        new StoreCollector(pool, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
                new ExporterMetrics(registry, pool)).register(registry);

        assertThat(registry.getSampleValue(StoreCollector.RESERVED_SERIES)).isEqualTo(0.0);
    }

    private static void put(SeriesPool pool, Metric m) {
        pool.put(0, m.seriesKey(), m, NOW);
    }
}
