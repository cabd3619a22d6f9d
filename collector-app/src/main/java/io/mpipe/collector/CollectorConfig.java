package io.mpipe.collector;

import io.mpipe.collector.hedera.HederaSettings;
import io.mpipe.collector.synthetic.SyntheticSource;
import io.mpipe.common.config.ConfigReader;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.config.HttpSettings;
import io.mpipe.common.config.KafkaSettings;
import io.mpipe.common.config.LoggingSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything the collector is configured with: {@code collector.*} plus the shared {@code kafka}
 * and {@code logging} sections; see {@code config.example.yaml}.
 *
 * @param synthetic the synthetic source's settings, or null when {@code collector.synthetic.enabled} is false
 * @param remoteWrite the remote write receiver's settings, or null when {@code collector.remote-write.enabled}
 *                    is false
 */
public record CollectorConfig(
        KafkaSettings kafka,
        LoggingSettings logging,
        HttpSettings http,
        ProducerSettings producer,
        HederaSettings hedera,
        SyntheticSource.Settings synthetic,
        io.mpipe.collector.remotewrite.RemoteWriteSettings remoteWrite) {

    public static final String[] SECTIONS = {"kafka", "logging", "collector"};
    public static final int DEFAULT_PORT = 9401;
    /** What {@code collector.producer.compression} may be: the Kafka producer's compression types. */
    public static final String[] COMPRESSION_TYPES = {"none", "lz4", "zstd", "snappy", "gzip"};

    /**
     * The producer's tuning.
     *
     * @param linger          {@code collector.producer.linger}: how long a batch may wait to fill
     * @param batchBytes      {@code collector.producer.batch-bytes}: largest batch per partition
     * @param maxBuffered     {@code collector.producer.max-buffered-records}: records held unacknowledged
     *                        (while the broker is away) before live sources drop and replay waits
     * @param deliveryTimeout {@code collector.producer.delivery-timeout}: how long a record may wait for
     *                        the broker before it counts as a send error
     * @param maxBlock        {@code collector.producer.max-block}: how long a send may wait for metadata
     * @param compression     {@code collector.producer.compression}: how batches are compressed on the
     *                        wire and in the topic
     */
    public record ProducerSettings(Duration linger, int batchBytes, int maxBuffered, Duration deliveryTimeout,
            Duration maxBlock, String compression) {
    }

    public CollectorConfig {
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(producer, "producer");
        Objects.requireNonNull(hedera, "hedera");
    }

    public static CollectorConfig load(ConfigSource source) {
        return source.reader().read(CollectorConfig::read, SECTIONS);
    }

    public static CollectorConfig read(ConfigReader r) {
        KafkaSettings kafka = KafkaSettings.read(r);
        LoggingSettings logging = LoggingSettings.read(r);
        HttpSettings http = HttpSettings.read(r, "collector", DEFAULT_PORT);
        ProducerSettings producer = readProducer(r);
        HederaSettings hedera = HederaSettings.read(r);
        SyntheticSource.Settings synthetic = null;
        boolean synth = r.bool("collector.synthetic.enabled", false);
        int series = r.integer("collector.synthetic.series", 1_000, 1, 10_000_000);
        double rate = r.number("collector.synthetic.rate", 1_000, 0.001, 10_000_000);
        String prefix = r.string("collector.synthetic.name-prefix", "synthetic_");
        if (!io.mpipe.common.metric.MetricRules.isValidName(prefix)) {
            r.problem("collector.synthetic.name-prefix", "'" + prefix + "' must be a valid start of a metric name");
        }
        int names = r.integer("collector.synthetic.names", 10, 1, 100_000);
        int hosts = r.integer("collector.synthetic.hosts", 20, 1, 1_000_000);
        Duration interval = r.duration("collector.synthetic.interval", Duration.ofMillis(100), Duration.ofMillis(1),
                Duration.ofMinutes(10));
        if (names > series) {
            r.problem("collector.synthetic.names", names + " names for " + series + " series: names must be <= series");
        }
        if (synth) {
            synthetic = new SyntheticSource.Settings(series, rate, prefix, Math.min(names, series), hosts, interval);
        }
        return new CollectorConfig(kafka, logging, http, producer, hedera, synthetic,
                io.mpipe.collector.remotewrite.RemoteWriteSettings.read(r));
    }

    static ProducerSettings readProducer(ConfigReader r) {
        Duration linger = r.duration("collector.producer.linger", Duration.ofMillis(10), Duration.ZERO,
                Duration.ofSeconds(10));
        int batch = r.integer("collector.producer.batch-bytes", 256 * 1024, 1024, 16 * 1024 * 1024);
        int maxBuffered = r.integer("collector.producer.max-buffered-records", 200_000, 100, 50_000_000);
        // at least the producer's request timeout (30 s) plus linger
        Duration delivery = r.duration("collector.producer.delivery-timeout", Duration.ofMinutes(5),
                Duration.ofSeconds(41), Duration.ofDays(1));
        Duration maxBlock = r.duration("collector.producer.max-block", Duration.ofSeconds(5), Duration.ZERO,
                Duration.ofMinutes(10));
        String compression = r.choice("collector.producer.compression", "lz4", COMPRESSION_TYPES);
        return new ProducerSettings(linger, batch, maxBuffered, delivery, maxBlock, compression);
    }
}
