package io.mpipe.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.common.config.ConfigException;
import io.mpipe.sink.SinkConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How local mode reads its services' config, before it starts anything. */
class LocalModeConfigTest {

    private static LocalMode.Options options(Path dir, Path config, int kafkaPort) {
        return new LocalMode.Options(dir.resolve("data"), kafkaPort, 5433, null, true, 5, config);
    }

    @Test
    void shouldListTheProblemsOfEveryServiceOnceAndStartNothing(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, """
                kafka:
                  topic-partitions: -1
                collector:
                  synthetic:
                    rate: -3
                sink:
                  batch:
                    max-rows: lots
                  typo: 1
                exporter:
                  max-series: -5
                """);
        assertThatThrownBy(() -> LocalMode.start(options(dir, config, 9092)))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "kafka.topic-partitions: -1 is out of range [1, 10000]",
                        "collector.synthetic.rate: -3.0 is out of range [0.001, 1.0E7]",
                        "sink.batch.max-rows: 'lots' is not a whole number",
                        "sink.typo: unknown key",
                        "exporter.max-series: -5 is out of range [1, 50000000]"));
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void shouldRefuseAPortThatCannotBe(@TempDir Path dir) {
        assertThatThrownBy(() -> LocalMode.start(options(dir, null, 65535)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--kafka-port: 65535 is out of range [1, 65534]");
        assertThatThrownBy(() -> LocalMode.start(options(dir, null, 0)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--kafka-port: 0 is out of range [1, 65534]");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void shouldKeepSamplesOfAnyAgeUnlessTheFileSetsARetention(@TempDir Path dir) throws Exception {
        SinkConfig byDefault = LocalMode.validatedConfigs(options(dir, null, 9092)).sink().config();
        assertThat(byDefault.retention()).isEqualTo(LocalMode.KEEP).isEqualTo(Duration.ofDays(36_500));
        assertThat(byDefault.postgres().url()).isEqualTo("jdbc:postgresql://127.0.0.1:5433/metrics");

        Path config = dir.resolve("week.yaml");
        Files.writeString(config, "sink:\n  retention: 7d\n");
        assertThat(LocalMode.validatedConfigs(options(dir, config, 9092)).sink().config().retention())
                .isEqualTo(Duration.ofDays(7));
    }

    @Test
    void shouldFindAServicePortInUseBeforeStartingAnything(@TempDir Path dir) throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path config = dir.resolve("ports.yaml");
            Files.writeString(config, "sink:\n  http:\n    port: " + taken.getLocalPort() + "\n");
            assertThatThrownBy(() -> LocalMode.start(options(dir, config, 9092)))
                    .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
                            .asString().startsWith("sink.http.port: 127.0.0.1:" + taken.getLocalPort()
                                    + " is in use or cannot be bound"));
        }
        assertThat(dir.resolve("data")).doesNotExist();
    }
}
