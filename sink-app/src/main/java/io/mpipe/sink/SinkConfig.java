package io.mpipe.sink;

import io.mpipe.common.config.ConfigReader;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.config.HttpSettings;
import io.mpipe.common.config.KafkaSettings;
import io.mpipe.common.config.LoggingSettings;
import io.mpipe.common.config.PostgresSettings;
import io.mpipe.sink.copy.DedupMode;
import io.mpipe.sink.schema.PartitionMaintainer;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the sink is configured with. Keys live under {@code sink.} plus the shared
 * {@code kafka}, {@code postgres} and {@code logging} sections; see {@code config.example.yaml}.
 */
public record SinkConfig(
        KafkaSettings kafka,
        PostgresSettings postgres,
        LoggingSettings logging,
        HttpSettings http,
        String group,
        int batchMaxRows,
        Duration batchMaxAge,
        boolean migrateOnStart,
        Duration retention,
        Duration partitionInterval,
        int partitionsAhead,
        Duration maintenanceInterval,
        int seriesCacheSize,
        DedupMode dedup,
        Optional<Instant> startFrom,
        Duration maxBackoff,
        Duration shutdownTimeout,
        Duration maxFuture,
        int maxNewPartitionsPerBatch,
        Map<String, String> consumerProperties) {

    /** The config sections the sink reads; unknown keys in them are errors. */
    public static final String[] SECTIONS = {"kafka", "postgres", "logging", "sink"};
    public static final int DEFAULT_PORT = 9402;
    public static final String DEFAULT_GROUP = "metrics-sink";
    public static final int DEFAULT_BATCH_MAX_ROWS = 20_000;
    public static final Duration DEFAULT_BATCH_MAX_AGE = Duration.ofMillis(100);

    public SinkConfig {
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(postgres, "postgres");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(startFrom, "startFrom");
        consumerProperties = Map.copyOf(consumerProperties);
    }

    /** {@code sink.retention} when the config does not set it. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(30);

    /** {@code sink.retention}: how old a sample may be and still be stored. */
    public static Duration retention(ConfigReader r) {
        return r.duration("sink.retention", DEFAULT_RETENTION, Duration.ofHours(1), Duration.ofDays(36_500));
    }

    /**
     * Reads and validates the sink's config.
     *
     * @throws io.mpipe.common.config.ConfigException naming every bad key
     */
    public static SinkConfig load(ConfigSource source) {
        return source.reader().read(SinkConfig::read, SECTIONS);
    }

    /** Reads the sink's keys, recording problems in {@code r}. */
    public static SinkConfig read(ConfigReader r) {
        KafkaSettings kafka = KafkaSettings.read(r);
        PostgresSettings pg = PostgresSettings.read(r);
        LoggingSettings logging = LoggingSettings.read(r);
        HttpSettings http = HttpSettings.read(r, "sink", DEFAULT_PORT);
        String group = r.string("sink.group", DEFAULT_GROUP);
        if (group.isBlank()) {
            r.problem("sink.group", "is required");
        }
        int maxRows = r.integer("sink.batch.max-rows", DEFAULT_BATCH_MAX_ROWS, 1, 1_000_000);
        Duration maxAge = r.duration("sink.batch.max-age", DEFAULT_BATCH_MAX_AGE, Duration.ofMillis(1),
                Duration.ofMinutes(10));
        boolean migrate = r.bool("sink.migrate-on-start", true);
        Duration retention = retention(r);
        Duration interval = r.duration("sink.partition-interval", Duration.ofDays(1), Duration.ofHours(1),
                Duration.ofDays(366));
        if (!PartitionMaintainer.validInterval(interval)) {
            r.problem("sink.partition-interval", "must be whole hours that divide a day (1h, 2h, 3h, 4h, 6h, 8h,"
                    + " 12h) or whole days");
        }
        int ahead = r.integer("sink.partitions-ahead", 3, 0, 366);
        Duration maintenance = r.duration("sink.maintenance-interval", Duration.ofHours(1), Duration.ofSeconds(1),
                Duration.ofDays(1));
        int cache = r.integer("sink.series-cache-size", 200_000, 1, 50_000_000);
        String dedupText = r.choice("sink.dedup", "optimistic", "optimistic", "staging");
        DedupMode dedup = DedupMode.valueOf(dedupText.toUpperCase(Locale.ROOT));
        Optional<Instant> from = Optional.empty();
        Optional<String> fromText = r.optionalString("sink.start-from");
        if (fromText.isPresent()) {
            try {
                from = Optional.of(Instant.parse(fromText.get()));
            } catch (DateTimeParseException e) {
                r.problem("sink.start-from", "'" + fromText.get() + "' is not an ISO-8601 instant such as"
                        + " 2026-11-01T00:00:00Z");
            }
        }
        Duration backoff = r.duration("sink.max-backoff", Duration.ofSeconds(30), Duration.ofMillis(100),
                Duration.ofMinutes(10));
        Duration shutdown = r.duration("sink.shutdown-timeout", Duration.ofSeconds(30), Duration.ofSeconds(1),
                Duration.ofMinutes(10));
        Duration maxFuture = r.duration("sink.max-future", Duration.ofHours(1), Duration.ofSeconds(1),
                Duration.ofDays(366));
        int maxNewPartitions = r.integer("sink.max-new-partitions-per-batch", 8, 1, 1_000);
        Map<String, String> consumerProps = r.stringMap("sink.consumer-properties");
        return new SinkConfig(kafka, pg, logging, http, group, maxRows, maxAge, migrate, retention, interval, ahead,
                maintenance, cache, dedup, from, backoff, shutdown, maxFuture, maxNewPartitions, consumerProps);
    }

    public SinkConfig withGroup(String newGroup) {
        return new SinkConfig(kafka, postgres, logging, http, newGroup, batchMaxRows, batchMaxAge, migrateOnStart,
                retention, partitionInterval, partitionsAhead, maintenanceInterval, seriesCacheSize, dedup, startFrom,
                maxBackoff, shutdownTimeout, maxFuture, maxNewPartitionsPerBatch, consumerProperties);
    }

    public SinkConfig withStartFrom(Optional<Instant> from) {
        return new SinkConfig(kafka, postgres, logging, http, group, batchMaxRows, batchMaxAge, migrateOnStart,
                retention, partitionInterval, partitionsAhead, maintenanceInterval, seriesCacheSize, dedup, from,
                maxBackoff, shutdownTimeout, maxFuture, maxNewPartitionsPerBatch, consumerProperties);
    }
}
