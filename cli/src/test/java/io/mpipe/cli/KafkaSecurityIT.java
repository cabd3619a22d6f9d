package io.mpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.mpipe.collector.CollectorApp;
import io.mpipe.collector.CollectorConfig;
import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.logging.MaskingPatternLayout;
import io.mpipe.embedded.EmbeddedKafka;
import io.mpipe.embedded.FreePorts;
import io.mpipe.exporter.ExporterApp;
import io.mpipe.exporter.ExporterConfig;
import io.mpipe.sink.SinkApp;
import io.mpipe.sink.SinkConfig;
import io.mpipe.testsupport.TestCerts;
import io.mpipe.testsupport.TestData;
import io.mpipe.testsupport.TestDatabase;
import io.mpipe.testsupport.WithPostgres;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Every Kafka client of the pipeline (collector, sink, exporter, replay, lag) against a broker
 * that takes only SASL_SSL (SCRAM-SHA-512 over TLS from a test CA), configured through
 * {@code kafka.properties}; and a wrong password is a clear, quick error that names
 * {@code kafka.properties} and shows the password nowhere.
 */
@WithPostgres
class KafkaSecurityIT {
    private static final String PASSWORD = "sasl-secret-" + Long.toString(System.nanoTime(), 36);

    private static String pemOneLine(Path p) throws Exception {
        return Files.readString(p).replace("\n", "\\n");
    }

    /** A broker with a PLAINTEXT listener (for the test's own setup) and a SASL_SSL one; returns it started. */
    private static EmbeddedKafka broker(Path dir, TestCerts certs, int saslPort) throws Exception {
        TestCerts.Issued server = certs.server("kafka");
        int plain = FreePorts.next();
        int controller = FreePorts.next();
        Map<String, String> o = new HashMap<>();
        o.put("listeners", "PLAINTEXT://127.0.0.1:" + plain + ",SASL_SSL://127.0.0.1:" + saslPort
                + ",CONTROLLER://127.0.0.1:" + controller);
        o.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + plain + ",SASL_SSL://127.0.0.1:" + saslPort);
        o.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
        o.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        o.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        o.put("listener.name.sasl_ssl.ssl.keystore.type", "PEM");
        o.put("listener.name.sasl_ssl.ssl.keystore.certificate.chain", Files.readString(server.cert()));
        o.put("listener.name.sasl_ssl.ssl.keystore.key", Files.readString(server.key()));
        EmbeddedKafka k = EmbeddedKafka.create(dir.resolve("kafka"), plain, controller, o);
        k.start();
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, k.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("mpipe",
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), PASSWORD))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        return k;
    }

    private static String yaml(int saslPort, Path ca, String topic, TestDatabase db, String group, int exporterPort) {
        return """
                kafka:
                  bootstrap-servers: 127.0.0.1:%d
                  topic: %s
                  dlq-topic: %s.dlq
                  topic-partitions: 2
                  properties:
                    security.protocol: SASL_SSL
                    sasl.mechanism: SCRAM-SHA-512
                    sasl.jaas.config: ${KAFKA_JAAS}
                    ssl.truststore.type: PEM
                    ssl.truststore.location: %s
                postgres:
                  url: %s
                  user: %s
                collector:
                  http:
                    port: 0
                  synthetic:
                    enabled: true
                    series: 20
                    rate: 200
                sink:
                  group: %s
                  http:
                    port: 0
                exporter:
                  application-id: %s-exporter
                  state-dir: %s
                  http:
                    port: %d
                lag:
                  interval: 1s
                """.formatted(saslPort, topic, topic, ca, db.jdbcUrl(), db.user(), group, group,
                ca.getParent().resolve("state-" + group), exporterPort);
    }

    private static Map<String, String> env(String password) {
        return Map.of("KAFKA_JAAS", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"mpipe\""
                + " password=\"" + password + "\";");
    }

    @Test
    void shouldRunEveryClientOverSaslSslAndRefuseAWrongPasswordClearly(TestDatabase db, @TempDir Path dir)
            throws Exception {
        TestCerts certs = TestCerts.newCa(dir.resolve("certs"), "kafka-test-ca");
        int saslPort = FreePorts.next();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        root.addAppender(logged);
        try (EmbeddedKafka kafka = broker(dir, certs, saslPort)) {
            Path ca = certs.ca().cert();
            String topic = "secure-metrics";
            String group = "secure-sink";
            int exporterPort = FreePorts.next();
            Path config = Files.writeString(dir.resolve("config.yaml"), yaml(saslPort, ca, topic, db, group,
                    exporterPort));
            Map<String, String> env = env(PASSWORD);
            try (CollectorApp collector = CollectorApp.start(CollectorConfig.load(ConfigSource.load(config, env)),
                    new CollectorRegistry());
                    SinkApp sink = SinkApp.start(SinkConfig.load(ConfigSource.load(config, env)), new CollectorRegistry());
                    ExporterApp exporter = ExporterApp.start(ExporterConfig.load(ConfigSource.load(config, env)),
                            new CollectorRegistry())) {
                await().atMost(Duration.ofSeconds(60)).until(() ->
                        db.queryLong("SELECT count(*) FROM metrics") > 100 && exporter.pool().seriesCount() == 20);

                // replay and lag, as a user runs them, with the password from the environment
                Path file = Files.writeString(dir.resolve("replay.jsonl"),
                        "{\"name\":\"secure_replayed\",\"timestamp\":" + (System.currentTimeMillis() - 1_000)
                                + ",\"value\":7,\"labels\":{\"via\":\"sasl\"}}\n");
                CommandRun replay = pipeline(env, "replay", "--config", config.toString(), file.toString());
                assertThat(replay.exit()).as(replay.err()).isZero();
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        db.queryLong("SELECT count(*) FROM metrics WHERE name = 'secure_replayed'") == 1);
                CommandRun lag = pipeline(env, "lag", "--config", config.toString(), "--group", group);
                assertThat(lag.exit()).as(lag.err()).isZero();
                assertThat(lag.out()).contains(group).contains(topic);
            }

            // a wrong password: refused at once, naming kafka.properties, the password shown nowhere
            String wrong = "not-the-password-" + System.nanoTime();
            Map<String, String> bad = env(wrong);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> SinkApp.start(SinkConfig.load(ConfigSource.load(config, bad)),
                    new CollectorRegistry()))
                    .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                            .contains("kafka.properties").contains("refused").doesNotContain(wrong));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
            assertThatThrownBy(() -> CollectorApp.start(CollectorConfig.load(ConfigSource.load(config, bad)),
                    new CollectorRegistry())).isInstanceOf(ConfigException.class).hasMessageContaining("kafka.properties");
            CommandRun lag = pipeline(bad, "lag", "--config", config.toString());
            assertThat(lag.exit()).isEqualTo(2);
            assertThat(lag.err()).contains("kafka.properties").doesNotContain(wrong);
            MaskingPatternLayout layout = new MaskingPatternLayout();
            layout.setContext(root.getLoggerContext());
            layout.setPattern("%msg %ex");
            layout.start();
            for (ILoggingEvent e : logged.list) {
                String line = layout.doLayout(e);
                assertThat(line).as("a log line").doesNotContain(wrong).doesNotContain(PASSWORD);
            }
        } finally {
            root.detachAppender(logged);
        }
    }

    /** {@code bin/pipeline} as a user runs it, with {@code env} added to its environment. */
    private static CommandRun pipeline(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(repo().resolve("bin").resolve("pipeline").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Path out = Files.createTempFile("pipeline-", ".out");
        Path err = Files.createTempFile("pipeline-", ".err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("bin/pipeline " + String.join(" ", args) + " did not end");
        }
        return new CommandRun(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static Path repo() {
        return TestData.repoRoot();
    }
}
