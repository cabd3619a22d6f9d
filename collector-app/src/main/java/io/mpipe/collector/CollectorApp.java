package io.mpipe.collector;

import io.mpipe.collector.hedera.HederaSources;
import io.mpipe.collector.publish.MetricPublisher;
import io.mpipe.collector.remotewrite.RemoteWriteReceiver;
import io.mpipe.collector.source.Source;
import io.mpipe.collector.source.SourceRunner;
import io.mpipe.collector.synthetic.SyntheticSource;
import io.mpipe.common.http.Health;
import io.mpipe.common.http.ServiceHttpServer;
import io.mpipe.common.wire.Topics;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the collector: producer, publisher, sources, runner, HTTP. The broker need not be up at
 * start: the topic is created when it can be, and records wait in the bounded buffer meanwhile.
 */
public final class CollectorApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CollectorApp.class);

    private final MetricPublisher publisher;
    private final SourceRunner runner;
    private final ServiceHttpServer http;
    private final CollectorMetrics metrics;

    private CollectorApp(MetricPublisher publisher, SourceRunner runner, ServiceHttpServer http,
            CollectorMetrics metrics) {
        this.publisher = publisher;
        this.runner = runner;
        this.http = http;
        this.metrics = metrics;
    }

    public static CollectorApp start(CollectorConfig config, CollectorRegistry registry) {
        return start(config, registry, List.of());
    }

    /** Starts the configured sources plus {@code extraSources}. */
    public static CollectorApp start(CollectorConfig config, CollectorRegistry registry, List<Source> extraSources) {
        Clock clock = Clock.systemUTC();
        CollectorMetrics metrics = new CollectorMetrics(registry);
        boolean topicReady = tryEnsureTopic(config);
        MetricPublisher publisher = new MetricPublisher(new KafkaProducer<>(producerProps(config, "collector"),
                new ByteArraySerializer(), new ByteArraySerializer()), config.kafka().topic(),
                config.producer().maxBuffered(), metrics, topicReady);
        if (!topicReady) {
            ensureTopicLater(config, publisher);
        }
        List<Source> sources = new ArrayList<>(extraSources);
        if (config.synthetic() != null) {
            sources.add(new SyntheticSource(config.synthetic()));
        }
        sources.addAll(HederaSources.create(config.hedera(), clock, metrics));
        if (sources.isEmpty() && config.remoteWrite() == null) {
            log.warn("collector: no sources configured (enable collector.synthetic, collector.hedera or"
                    + " collector.remote-write)");
        }
        SourceRunner runner = new SourceRunner(sources, publisher, metrics, clock);
        ServiceHttpServer http;
        try {
            http = new ServiceHttpServer("collector", config.http(), registry, () -> health(runner, metrics, publisher));
        } catch (IOException e) {
            publisher.close();
            throw new UncheckedIOException("collector: cannot start HTTP on " + config.http(), e);
        } catch (RuntimeException e) {
            publisher.close();
            throw e;
        }
        if (config.remoteWrite() != null) {
            RemoteWriteReceiver receiver = new RemoteWriteReceiver(config.remoteWrite(), publisher, metrics);
            http.postRoute(RemoteWriteReceiver.PATH, receiver.maxBodyBytes(), receiver);
        }
        CollectorApp app = new CollectorApp(publisher, runner, http, metrics);
        runner.start();
        http.start();
        log.info("collector: {} source(s) producing to {}{}", sources.size(), config.kafka().topic(),
                config.remoteWrite() != null ? "; Prometheus remote write at " + http.baseUrl() + RemoteWriteReceiver.PATH
                        : "");
        return app;
    }

    /**
     * The broker was away at start: records wait in the publisher's buffer, the topic is created
     * (with the configured partitions, not the broker's default) as soon as the broker answers,
     * and the publisher sends once its partitions are served (a record sent to a partition its
     * leader has not taken up yet can be refused until it times out; see {@code Topics}).
     */
    private static void ensureTopicLater(CollectorConfig config, MetricPublisher publisher) {
        Thread retry = new Thread(() -> {
            while (!tryEnsureTopicNow(config)) {
                try {
                    Thread.sleep(10_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            publisher.open();
        }, "collector-topic");
        retry.setDaemon(true);
        retry.start();
    }

    /** As {@link #tryEnsureTopic}, but a broker that refuses the credentials is said, not thrown: records wait. */
    private static boolean tryEnsureTopicNow(CollectorConfig config) {
        try {
            return tryEnsureTopic(config);
        } catch (io.mpipe.common.config.ConfigException e) {
            log.error("collector: {}; records are held", e.getMessage());
            return false;
        }
    }

    /**
     * Creates the topic when the broker answers; false when it does not.
     *
     * @throws io.mpipe.common.config.ConfigException when the broker refuses this collector (credentials, TLS)
     */
    private static boolean tryEnsureTopic(CollectorConfig config) {
        try (Admin admin = Admin.create(config.kafka().clientProperties())) {
            Topics.ensure(admin, config.kafka(), config.kafka().topic());
            return true;
        } catch (IllegalStateException | org.apache.kafka.common.KafkaException e) {
            log.warn("collector: {}; records are held until the broker answers", e.getMessage());
            return false;
        }
    }

    private static Health health(SourceRunner runner, CollectorMetrics metrics, MetricPublisher publisher) {
        Map<String, String> d = new LinkedHashMap<>();
        for (Source s : runner.sources()) {
            d.put("source." + s.name(), metrics.up.labels(s.name()).get() == 1 ? "up" : "down");
        }
        d.put("buffered_records", Integer.toString(publisher.buffered()));
        return Health.up(d);
    }

    /** Producer properties for the collector and replay: idempotent, acks=all, compressed as configured, tuned batching. */
    public static Properties producerProps(CollectorConfig c, String clientId) {
        CollectorConfig.ProducerSettings p = c.producer();
        Properties props = c.kafka().clientProperties();
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId + "-" + ProcessHandle.current().pid());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, p.compression());
        props.put(ProducerConfig.LINGER_MS_CONFIG, Long.toString(p.linger().toMillis()));
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(p.batchBytes()));
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG,
                Long.toString(Math.max(64L << 20, (long) p.maxBuffered() * 512L)));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(p.deliveryTimeout().toMillis()));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(p.maxBlock().toMillis()));
        return props;
    }

    public MetricPublisher publisher() {
        return publisher;
    }

    public CollectorMetrics metrics() {
        return metrics;
    }

    public int httpPort() {
        return http.port();
    }

    public String httpBaseUrl() {
        return http.baseUrl();
    }

    /** Stops polling, waits for buffered records (up to 30 s), closes the producer. */
    @Override
    public void close() {
        // no new requests first (a remote write then answered waits for the records it handed over)
        http.close();
        runner.close();
        try {
            if (!publisher.flush(Duration.ofSeconds(30))) {
                log.warn("collector: {} record(s) still unacknowledged at shutdown", publisher.buffered());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        publisher.close();
        log.info("collector: stopped");
    }
}
