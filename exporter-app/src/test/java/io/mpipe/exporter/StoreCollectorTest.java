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

    @Test
    void rendersSeriesFooAndFooTotalAsTwoFamiliesEachTypedOnce() throws Exception {
        SeriesPool pool = new SeriesPool(new StoreSettings(Duration.ofMinutes(15), 100, 10, Duration.ofMinutes(5)),
                new StoreStats());
        put(pool, new Metric("foo", NOW - 1_000, 1, Labels.of("a", "1")));
        put(pool, new Metric("foo_total", NOW - 1_000, 2, Labels.of("a", "1")));
        put(pool, new Metric("foo_total_total", NOW - 1_000, 3, Labels.EMPTY));
        CollectorRegistry registry = new CollectorRegistry();
        new StoreCollector(pool, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
                new ExporterMetrics(registry, pool)).register(registry);
        java.io.StringWriter w = new java.io.StringWriter();
        io.prometheus.client.exporter.common.TextFormat.write004(w, registry.metricFamilySamples());
        String text = w.toString();

        assertThat(text).containsOnlyOnce("# TYPE foo untyped\n").containsOnlyOnce("# TYPE foo_total counter\n")
                .containsOnlyOnce("# TYPE foo_total_total untyped\n").contains("foo{a=\"1\",} 1.0")
                .contains("foo_total{a=\"1\",} 2.0").contains("foo_total_total 3.0");
        java.util.List<String> types = text.lines().filter(l -> l.startsWith("# TYPE ")).map(l -> l.split(" ")[2])
                .toList();
        assertThat(types).doesNotHaveDuplicates();
        assertThat(registry.getSampleValue(StoreCollector.UNTYPED_SERIES)).isEqualTo(1.0);
    }

    private static void put(SeriesPool pool, Metric m) {
        pool.put(0, m.seriesKey(), m, NOW);
    }
}
