package io.mpipe.exporter.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricJson;
import io.mpipe.exporter.store.SeriesPool;
import io.mpipe.exporter.store.StoreSettings;
import io.mpipe.exporter.store.StoreStats;
import io.mpipe.exporter.store.WindowedLruStore;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

class SampleProcessorTest {
    private static Record<byte[], byte[]> record(long ts) {
        Metric m = new Metric("up", ts, 1, Labels.of("job", "api"));
        return new Record<>(m.seriesKey().getBytes(StandardCharsets.UTF_8), MetricJson.encode(m), ts);
    }

    /** Kafka Streams closes a suspended task's processors and may init the same ones again on resume. */
    @Test
    void shouldCountWhatItProcessesAfterBeingClosedAndInitializedAgain() {
        SeriesPool pool = new SeriesPool(new StoreSettings(Duration.ofMinutes(15), 100, 10, Duration.ofMinutes(5)),
                new StoreStats());
        MockProcessorContext<Void, Void> context = new MockProcessorContext<>();
        context.addStateStore(new WindowedLruStore(ExporterTopology.STORE, pool, null));
        RecordCount count = new RecordCount();
        Counter invalid = Counter.build("i_total", "i").register(new CollectorRegistry());
        SampleProcessor processor = new SampleProcessor(Duration.ofSeconds(30), count, invalid,
                Duration.ofHours(1).toMillis());
        long now = System.currentTimeMillis();
        context.setCurrentSystemTimeMs(now);

        processor.init(context);
        processor.process(record(now - 2_000));
        processor.close();
        assertThat(count.get()).isEqualTo(1);
        processor.init(context);
        processor.process(record(now - 1_000));
        processor.process(record(now));
        assertThat(count.get()).isEqualTo(3);
        processor.close();
        assertThat(count.get()).isEqualTo(3);
        assertThat(pool.seriesCount()).isEqualTo(1);
    }
}
