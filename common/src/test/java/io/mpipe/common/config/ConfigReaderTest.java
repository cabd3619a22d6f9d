package io.mpipe.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.common.logging.SecretMasking;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigReaderTest {

    @Test
    void shouldSubstituteVariablesAndDefaults() {
        ConfigReader r = ConfigSource.parse("""
                kafka:
                  bootstrap-servers: ${BROKER}:9092
                  topic: ${TOPIC:-metrics}
                  dlq-topic: literal$${NOT_A_VAR}x
                """, Map.of("BROKER", "kafka-1")).reader();
        assertThat(r.string("kafka.bootstrap-servers", "")).isEqualTo("kafka-1:9092");
        assertThat(r.string("kafka.topic", "")).isEqualTo("metrics");
        assertThat(r.string("kafka.dlq-topic", "")).isEqualTo("literal${NOT_A_VAR}x");
        assertThat(r.valid()).isTrue();
    }

    @Test
    void shouldUseTheDefaultWhenTheVariableIsEmpty() {
        ConfigReader r = ConfigSource.parse("sink:\n  group: ${G:-fallback}\n", Map.of("G", "")).reader();
        assertThat(r.string("sink.group", "")).isEqualTo("fallback");
    }

    @Test
    void shouldLetTheEnvironmentOverrideTheFile() {
        ConfigReader r = ConfigSource.parse("sink:\n  batch:\n    max-rows: 10\n",
                Map.of("PIPELINE_SINK_BATCH_MAX_ROWS", "20")).reader();
        assertThat(r.integer("sink.batch.max-rows", 1, 1, 100)).isEqualTo(20);
        assertThat(ConfigReader.envName("exporter.max-series")).isEqualTo("PIPELINE_EXPORTER_MAX_SERIES");
    }

    @Test
    void shouldReportEveryProblemAtOnceNamingEachKey() {
        ConfigReader r = ConfigSource.parse("""
                kafka:
                  bootstrap-servers: ${MISSING_BROKER}
                  topic: "bad topic!"
                sink:
                  batch:
                    max-rows: lots
                    max-age: 5 parsecs
                  retention: -3d
                  typo-key: 1
                exporter:
                  max-series: 0
                """, Map.of()).reader();
        KafkaSettings.read(r);
        r.integer("sink.batch.max-rows", 1, 1, 100);
        r.duration("sink.batch.max-age", Duration.ofMillis(1), Duration.ZERO, Duration.ofHours(1));
        r.duration("sink.retention", Duration.ofDays(30), Duration.ofHours(1), Duration.ofDays(3650));
        r.integer("exporter.max-series", 10, 1, 100);
        r.requiredString("sink.group");
        r.rejectUnknownKeys("sink", "exporter");
        assertThatThrownBy(r::throwIfInvalid)
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "kafka.bootstrap-servers: environment variable MISSING_BROKER is not set",
                        "kafka.bootstrap-servers: is required",
                        "kafka.topic: 'bad topic!' is not a valid topic name (letters, digits, '.', '_', '-'; 1-249)",
                        "sink.batch.max-rows: 'lots' is not a whole number",
                        "sink.batch.max-age: '5 parsecs' is not a duration (use a whole number with ms, s, m, h or d,"
                                + " e.g. 250ms, 10s, 15m, 30d)",
                        "sink.retention: '-3d' is not a duration (use a whole number with ms, s, m, h or d,"
                                + " e.g. 250ms, 10s, 15m, 30d)",
                        "exporter.max-series: 0 is out of range [1, 100]",
                        "sink.group: is required",
                        "sink.typo-key: unknown key"))
                .hasMessageStartingWith("invalid configuration (9 problems):");
    }

    @Test
    void shouldRejectUnknownSections() {
        ConfigReader r = ConfigSource.parse("sinks:\n  group: x\n", Map.of()).reader();
        assertThat(r.problems()).singleElement().asString().startsWith("sinks: unknown section");
    }

    @Test
    void shouldRefuseSecretsWrittenInTheFile() {
        ConfigReader r = ConfigSource.parse("""
                postgres:
                  password: hunter22
                kafka:
                  properties:
                    sasl.jaas.config: literal-jaas-line
                """, Map.of()).reader();
        PostgresSettings.read(r);
        KafkaSettings.read(r);
        assertThat(r.problems()).containsExactlyInAnyOrder(
                "postgres.password: is a secret: write it as ${VARIABLE} (or use postgres.password-file),"
                        + " do not put it in the file",
                "kafka.properties.sasl.jaas.config: is a secret: write it as ${VARIABLE} and set the variable,"
                        + " do not put it in the file");
    }

    @Test
    void shouldTakeSecretsFromTheEnvironmentOrAFileAndMaskThemInTheEffectiveConfig(@TempDir Path dir)
            throws Exception {
        ConfigReader r = ConfigSource.parse("""
                postgres:
                  url: jdbc:postgresql://db:5432/metrics
                  password: ${PGPASS}
                kafka:
                  properties:
                    security.protocol: SASL_SSL
                    sasl.jaas.config: ${JAAS}
                """, Map.of("PGPASS", "s3cr3t-pw", "JAAS", "PlainLoginModule required password=\"jaaspw\";"))
                .reader();
        PostgresSettings pg = PostgresSettings.read(r);
        KafkaSettings k = KafkaSettings.read(r);
        r.throwIfInvalid();
        assertThat(pg.password().reveal()).isEqualTo("s3cr3t-pw");
        assertThat(pg.password().toString()).isEqualTo("****");
        assertThat(k.clientProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("bootstrap.servers", "localhost:9092");
        String dump = r.describeEffective();
        assertThat(dump).contains("postgres.password = ****")
                .contains("kafka.properties.sasl.jaas.config = ****")
                .contains("kafka.properties.security.protocol = SASL_SSL")
                .doesNotContain("s3cr3t-pw").doesNotContain("jaaspw");
        assertThat(SecretMasking.mask("connect failed for s3cr3t-pw")).isEqualTo("connect failed for ****");

        Path file = dir.resolve("pw");
        Files.writeString(file, "from-file-pw\n");
        ConfigReader f = ConfigSource.parse("postgres:\n  password-file: " + file + "\n", Map.of()).reader();
        assertThat(PostgresSettings.read(f).password().reveal()).isEqualTo("from-file-pw");
        assertThat(f.valid()).isTrue();
        assertThat(f.describeEffective()).doesNotContain("from-file-pw");
    }

    @Test
    void shouldMaskPasswordsInlineInUrls() {
        assertThat(SecretMasking.mask("jdbc:postgresql://h/db?user=a&password=xyz&ssl=true"))
                .isEqualTo("jdbc:postgresql://h/db?user=a&password=****&ssl=true");
    }

    @Test
    void shouldReadListsOfMappings() {
        ConfigReader r = ConfigSource.parse("""
                collector:
                  hedera:
                    accounts:
                      - id: 0.0.98
                        label: fees
                      - label: nameless
                        colour: red
                """, Map.of()).reader();
        var items = r.items("collector.hedera.accounts");
        assertThat(items).hasSize(2);
        assertThat(items.get(0).requiredString("id")).isEqualTo("0.0.98");
        items.get(1).requiredString("id");
        items.get(1).rejectUnknownKeys("id", "label");
        assertThat(r.problems()).containsExactly(
                "collector.hedera.accounts[1].id: is required",
                "collector.hedera.accounts[1].colour: unknown key (known: id, label)");
    }

    @Test
    void shouldParseDurationsInShortAndIsoForms() {
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("15m")).isEqualTo(Duration.ofMinutes(15));
        assertThat(Durations.parse("30d")).isEqualTo(Duration.ofDays(30));
        assertThat(Durations.parse("PT10S")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.format(Duration.ofDays(30))).isEqualTo("30d");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    }

    @Test
    void shouldFailClearlyOnYamlSyntaxErrors() {
        assertThatThrownBy(() -> ConfigSource.parse("kafka: [unclosed\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not valid YAML");
    }

    @Test
    void shouldRejectAKeyWrittenTwice() {
        assertThatThrownBy(() -> ConfigSource.parse("kafka:\n  topic: a\n  topic: b\n", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("not valid YAML")
                .hasMessageContaining("Duplicate field 'topic'")
                .hasMessageContaining("line 3");
    }

    /** A record whose constructor refuses what a bad value would be, as settings classes do. */
    record Positive(long n, Duration d) {
        Positive {
            if (n <= 0 || d.isNegative()) {
                throw new IllegalArgumentException("n and d must be positive");
            }
        }
    }

    @Test
    void shouldReportOutOfRangeValuesRatherThanWhatTheyWouldBreak() {
        ConfigReader r = ConfigSource.parse("exporter:\n  max-series: -5\n  window: 0s\n  typo: 1\n", Map.of()).reader();
        assertThatThrownBy(() -> r.read(x -> new Positive(x.longValue("exporter.max-series", 10, 1, 100),
                        x.duration("exporter.window", Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofDays(1))),
                "exporter"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "exporter.max-series: -5 is out of range [1, 100]",
                        "exporter.window: 0s is out of range [1s, 1d]",
                        "exporter.typo: unknown key"));
        ConfigReader ok = ConfigSource.parse("exporter:\n  max-series: 500\n", Map.of()).reader();
        assertThat(ok.number("exporter.max-series", 7.5, 0, 100)).isEqualTo(7.5);
        assertThat(ok.problems()).containsExactly("exporter.max-series: 500.0 is out of range [0.0, 100.0]");
    }

    @Test
    void shouldReportWhereReadingStoppedAndNoUnreadKeyAsUnknown() {
        ConfigReader r = ConfigSource.parse("exporter:\n  max-series: -5\n  state-dir: x\n  window: 1m\n", Map.of())
                .reader();
        assertThatThrownBy(() -> r.read(x -> {
            x.longValue("exporter.max-series", 10, 1, 100);
            x.string("exporter.state-dir", "");
            throw new IllegalArgumentException("state-dir: not a path");
        }, "exporter"))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.problems()).containsExactly("exporter.max-series: -5 is out of range [1, 100]",
                            "(reading stopped there: state-dir: not a path)");
                    assertThat(e.getCause()).isInstanceOf(IllegalArgumentException.class);
                });
    }

    @Test
    void shouldPassOnAFailureOfTheReaderWhenNothingElseIsWrong() {
        ConfigReader r = ConfigSource.parse("exporter:\n  max-series: 5\n", Map.of()).reader();
        assertThatThrownBy(() -> r.read(x -> {
            x.longValue("exporter.max-series", 10, 1, 100);
            throw new IllegalStateException("a bug, not a config problem");
        }, "exporter")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldTakeEveryKafkaPropertyThatLooksSecretForASecret() {
        for (String key : java.util.List.of("ssl.keystore.key", "ssl.key.password", "ssl.truststore.password",
                "sasl.jaas.config", "sasl.oauthbearer.client.credentials.client.secret", "some.api.token",
                "ssl.keystore.passphrase.file", "PRIVATE.KEY", "basic.auth.user.info.password")) {
            org.assertj.core.api.Assertions.assertThat(ConfigReader.SECRET_PROPERTY.matcher(key).matches())
                    .as(key).isTrue();
        }
        for (String key : java.util.List.of("security.protocol", "ssl.keystore.type", "ssl.truststore.location",
                "sasl.mechanism", "key.serializer", "ssl.endpoint.identification.algorithm")) {
            org.assertj.core.api.Assertions.assertThat(ConfigReader.SECRET_PROPERTY.matcher(key).matches())
                    .as(key).isFalse();
        }
    }

    @Test
    void shouldRefuseThePlaceholderPasswordsOfTheEnvExample() {
        ConfigSource src = ConfigSource.parse("postgres:\n  password: ${PW}\nkafka:\n  properties:\n"
                + "    sasl.jaas.config: ${JAAS}\n", java.util.Map.of("PW", "change-me", "JAAS",
                "x required password=\"change-me-too\";"));
        ConfigReader r = src.reader();
        r.secret("postgres.password");
        r.stringMap("kafka.properties");
        org.assertj.core.api.Assertions.assertThat(r.problems()).containsExactly(
                "postgres.password: is still the placeholder of .env.example (change-me...); set a password of your"
                        + " own in .env");
    }
}
