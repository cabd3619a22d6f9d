package io.mpipe.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.sink.series.SeriesCache;
import io.prometheus.client.CollectorRegistry;
import java.time.Clock;
import org.junit.jupiter.api.Test;

class SinkMetricsTest {

    @Test
    void shouldExportBothBatchOutcomesAtZeroBeforeTheFirstBatch() {
        CollectorRegistry registry = new CollectorRegistry();
        new SinkMetrics(registry, Clock.systemUTC(), new SeriesCache(10));

        for (String outcome : new String[] {"committed", "failed"}) {
            assertThat(registry.getSampleValue("sink_batches_total", new String[] {"outcome"}, new String[] {outcome}))
                    .as(outcome).isEqualTo(0.0);
        }
    }
}
