package io.mpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.collector.CollectorConfig;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.exporter.ExporterConfig;
import io.mpipe.sink.SinkConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** config.example.yaml, which documents every key, is what the services really read. */
class ConfigExampleTest {

    private static ConfigSource example() {
        Path file = io.mpipe.testsupport.TestData.repoRoot().resolve("config.example.yaml");
        return ConfigSource.load(file, Map.of());
    }

    @Test
    void shouldLoadForEveryServiceWithTheDocumentedDefaults() {
        CollectorConfig c = CollectorConfig.load(example());
        SinkConfig s = SinkConfig.load(example());
        ExporterConfig e = ExporterConfig.load(example());
        assertThat(c.http().port()).isEqualTo(9401);
        assertThat(s.http().port()).isEqualTo(9402);
        assertThat(e.http().port()).isEqualTo(9400);
        assertThat(s.batchMaxRows()).isEqualTo(SinkConfig.DEFAULT_BATCH_MAX_ROWS);
        assertThat(e.store().maxSeries()).isEqualTo(100_000);
        assertThat(e.lag().interval()).hasSeconds(10);
        assertThat(c.kafka().bootstrapServers()).isEqualTo("localhost:9092");
        assertThat(c.producer().compression()).isEqualTo("lz4");
    }
}
