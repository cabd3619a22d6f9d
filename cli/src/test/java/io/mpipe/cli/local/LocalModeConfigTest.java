package io.mpipe.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.common.config.ConfigException;
import io.mpipe.embedded.FreePorts;
import io.mpipe.sink.SinkConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How local mode reads its services' config, before it starts anything. */
class LocalModeConfigTest {

    /** Free ports for the broker and the database, so that only what a test sets up can be in use. */
    private final int kafkaPort = FreePorts.pair();
    private final int postgresPort = FreePorts.next();

    private LocalMode.Options options(Path dir, Path config, int kafka) {
        return new LocalMode.Options(dir.resolve("data"), kafka, postgresPort, null, true, 5, config);
    }

    /** A config file with the services' HTTP ports free (0), then {@code more}. */
    private static Path config(Path dir, String name, String more) throws java.io.IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, "collector:\n  http:\n    port: 0\nexporter:\n  http:\n    port: 0\nsink:\n" + more);
        return f;
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
        assertThatThrownBy(() -> LocalMode.start(options(dir, config, kafkaPort)))
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
        SinkConfig byDefault = LocalMode.validatedConfigs(options(dir, config(dir, "any.yaml", "  http:\n    port: 0\n"),
                kafkaPort)).sink().config();
        assertThat(byDefault.retention()).isEqualTo(LocalMode.KEEP).isEqualTo(Duration.ofDays(36_500));
        assertThat(byDefault.postgres().url()).isEqualTo("jdbc:postgresql://127.0.0.1:" + postgresPort + "/metrics");

        Path config = config(dir, "week.yaml", "  http:\n    port: 0\n  retention: 7d\n");
        assertThat(LocalMode.validatedConfigs(options(dir, config, kafkaPort)).sink().config().retention())
                .isEqualTo(Duration.ofDays(7));
    }

    @Test
    void shouldListEveryPortInUseBeforeStartingAnything(@TempDir Path dir) throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path config = config(dir, "ports.yaml", "  http:\n    port: " + taken.getLocalPort() + "\n");
            assertThatThrownBy(() -> LocalMode.start(options(dir, config, taken.getLocalPort())))
                    .isInstanceOfSatisfying(ConfigException.class, e -> {
                        assertThat(e.problems()).hasSize(2);
                        assertThat(e.problems().get(0))
                                .isEqualTo("--kafka-port: port " + taken.getLocalPort() + " is in use (choose another one)");
                        assertThat(e.problems().get(1)).startsWith("sink.http.port: 127.0.0.1:" + taken.getLocalPort()
                                + " is in use or cannot be bound");
                    });
        }
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void shouldGiveEachOfSeveralBrokersTwoPortsAndCheckThemAll(@TempDir Path dir) throws Exception {
        LocalMode.Options three = new LocalMode.Options(dir.resolve("data"), 19092, postgresPort, null, true, 5, null, 3);
        assertThat(three.bootstrapServers()).isEqualTo("127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096");
        assertThatThrownBy(() -> LocalMode.start(new LocalMode.Options(dir.resolve("data"), kafkaPort, postgresPort,
                null, true, 5, null, 0))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--brokers: 0 is out of range [1, 9]");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            // broker 2 takes base + 2, its controller base + 3
            int base = taken.getLocalPort() - 3;
            Path config = config(dir, "three.yaml", "  http:\n    port: 0\n");
            assertThatThrownBy(() -> LocalMode.start(new LocalMode.Options(dir.resolve("data"), base, postgresPort,
                    null, true, 5, config, 3)))
                    .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).contains(
                            "--kafka-port (broker 2) (its controller uses the next port): port " + taken.getLocalPort()
                                    + " is in use (choose another one)"));
        }
        assertThat(dir.resolve("data")).doesNotExist();
    }
}
