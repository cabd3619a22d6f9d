package io.mpipe.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.ConfigSource;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

class CollectorConfigTest {
    private static CollectorConfig load(String yaml) {
        return CollectorConfig.load(ConfigSource.parse(yaml, Map.of()));
    }

    @Test
    void shouldCompressWithLz4UnlessToldOtherwise() {
        assertThat(CollectorApp.producerProps(load("collector: {}\n"), "t").get(ProducerConfig.COMPRESSION_TYPE_CONFIG))
                .isEqualTo("lz4");
        CollectorConfig none = load("collector:\n  producer:\n    compression: NONE\n");
        assertThat(none.producer().compression()).isEqualTo("none");
        assertThat(CollectorApp.producerProps(none, "t").get(ProducerConfig.COMPRESSION_TYPE_CONFIG)).isEqualTo("none");
    }

    @Test
    void shouldRefuseACompressionKafkaDoesNotKnowNamingTheKey() {
        assertThatThrownBy(() -> load("collector:\n  producer:\n    compression: brotli\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("collector.producer.compression")
                .hasMessageContaining("'brotli' is not one of none, lz4, zstd, snappy, gzip");
    }
}
