package io.mpipe.exporter;

import io.mpipe.common.http.Health;
import io.mpipe.common.http.ServiceHttpServer;
import io.mpipe.common.wire.Topics;
import io.mpipe.exporter.lag.LagMonitor;
import io.mpipe.exporter.lag.LagService;
import io.mpipe.exporter.query.HistoryTier;
import io.mpipe.exporter.query.LocalStores;
import io.mpipe.exporter.query.QueryApi;
import io.mpipe.exporter.query.QueryService;
import io.mpipe.exporter.store.SeriesPool;
import io.mpipe.exporter.store.StoreRebuilder;
import io.mpipe.exporter.store.StoreStats;
import io.mpipe.exporter.topology.ExporterTopology;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the exporter: the series pool, the Kafka Streams topology, the /metrics collector of the
 * exported series, the query API (with the history tier when configured) and the HTTP server.
 */
public final class ExporterApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExporterApp.class);

    private final KafkaStreams streams;
    private final ServiceHttpServer http;
    private final Optional<HistoryTier> history;
    private final SeriesPool pool;
    private final ExporterMetrics metrics;
    private final Optional<LagService> lag;

    private ExporterApp(KafkaStreams streams, ServiceHttpServer http, Optional<HistoryTier> history, SeriesPool pool,
            ExporterMetrics metrics, Optional<LagService> lag) {
        this.streams = streams;
        this.http = http;
        this.history = history;
        this.pool = pool;
        this.metrics = metrics;
        this.lag = lag;
    }

    public static ExporterApp start(ExporterConfig config, CollectorRegistry registry) {
        Clock clock = Clock.systemUTC();
        SeriesPool pool = new SeriesPool(config.store(), new StoreStats());
        ExporterMetrics metrics = new ExporterMetrics(registry, pool);
        KafkaStreams[] streamsRef = new KafkaStreams[1];
        ServiceHttpServer http;
        try {
            http = new ServiceHttpServer("exporter", config.http(), registry, () -> health(streamsRef[0]),
                    config.peerTokenFile());
        } catch (IOException e) {
            throw new UncheckedIOException("exporter: cannot start HTTP on " + config.http(), e);
        }
        HostInfo self = advertised(config, http);
        try (Admin admin = Admin.create(config.kafka().clientProperties())) {
            Topics.ensure(admin, config.kafka(), config.kafka().topic());
        }
        Properties base = config.kafka().clientProperties();
        StoreRebuilder rebuilder = config.rebuildOnStart()
                ? new StoreRebuilder(() -> new KafkaConsumer<>(StoreRebuilder.consumerProperties(base),
                        new ByteArrayDeserializer(), new ByteArrayDeserializer()), config.kafka().topic(), clock,
                        config.maxFuture())
                : null;
        var topology = ExporterTopology.build(new ExporterTopology.Settings(config.kafka().topic(), pool, rebuilder,
                config.expiryInterval(), metrics.processed, metrics.invalid, config.maxFuture()));
        KafkaStreams streams = new KafkaStreams(topology, streamsProps(config, self, http.port()));
        streamsRef[0] = streams;
        streams.setStateListener((now, before) -> {
            metrics.ready.set(now == KafkaStreams.State.RUNNING ? 1 : 0);
            log.info("exporter: {} -> {}", before, now);
        });
        streams.setUncaughtExceptionHandler(e -> {
            log.error("exporter: stream thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        new StoreCollector(pool, clock, metrics).register(registry);
        Optional<HistoryTier> history = config.history().map(HistoryTier::connect);
        LocalStores local = new LocalStores(streams, pool);
        QueryService service = new QueryService(local, history, self, config.forwardTimeout(), clock,
                config.queryMaxSeries(), config.http().security(), config.peerCaFile(), config.peerTokenFile());
        QueryApi.register(http, service, metrics, () -> streams.state() == KafkaStreams.State.RUNNING);
        http.postRoute(io.mpipe.exporter.query.RemoteRead.PATH, io.mpipe.exporter.query.RemoteRead.maxBodyBytes(),
                new io.mpipe.exporter.query.RemoteRead(service, config.remoteReadMaxSamples()));
        Optional<LagService> lag = Optional.empty();
        if (config.lag().enabled()) {
            LagService l = new LagService(new LagMonitor(Admin.create(base), () -> new KafkaConsumer<>(
                    LagService.probeProperties(base), new ByteArrayDeserializer(), new ByteArrayDeserializer()),
                    config.lag(), clock), config.lag(), registry);
            http.route("/api/v1/lag", ex -> l.snapshot());
            l.start();
            lag = Optional.of(l);
        }
        streams.start();
        http.start();
        log.info("exporter: {} consuming {} (advertised as {}:{}, window {}, max {} series)", config.applicationId(),
                config.kafka().topic(), self.host(), self.port(), config.store().window(), config.store().maxSeries());
        return new ExporterApp(streams, http, history, pool, metrics, lag);
    }

    static HostInfo advertised(ExporterConfig config, ServiceHttpServer http) {
        if (config.advertisedUrl().isPresent()) {
            URI u = URI.create(config.advertisedUrl().get());
            return new HostInfo(u.getHost(), u.getPort());
        }
        String host = config.http().host();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "127.0.0.1";
            }
        }
        return new HostInfo(host, http.port());
    }

    static Properties streamsProps(ExporterConfig c, HostInfo self, int port) {
        Properties p = c.kafka().clientProperties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, c.applicationId());
        p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        Path stateDir = c.stateDir().resolve(c.applicationId() + "-" + port);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(c.streamThreads()));
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
        p.put("processing.exception.handler.global.enabled", "true");
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
        // Each task reads one partition of one topic, so there is nothing to wait for to keep
        // several inputs in timestamp order; -1 also skips that check, which built a set and a
        // string for every record processed (7.5 % of the stream thread in a profile of bench
        // exporter).
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, "-1");
        p.put(StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG, "10000");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), "5000");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        return p;
    }

    private static Health health(KafkaStreams streams) {
        Map<String, String> d = new LinkedHashMap<>();
        KafkaStreams.State s = streams == null ? KafkaStreams.State.CREATED : streams.state();
        d.put("streams", s.toString());
        // alive while Streams runs or rebalances; /ready says whether queries can be answered
        return s.isRunningOrRebalancing() || s == KafkaStreams.State.CREATED ? Health.up(d) : Health.down(d);
    }

    public int httpPort() {
        return http.port();
    }

    public String httpBaseUrl() {
        return http.baseUrl();
    }

    public KafkaStreams streams() {
        return streams;
    }

    public SeriesPool pool() {
        return pool;
    }

    public ExporterMetrics metrics() {
        return metrics;
    }

    public boolean isReady() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    /** The lag monitor, when {@code lag.enabled}. */
    public Optional<LagService> lag() {
        return lag;
    }

    @Override
    public void close() {
        lag.ifPresent(LagService::close);
        // leave the group, so that the partitions move at once instead of after the session timeout
        streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        http.close();
        history.ifPresent(h -> {
            try {
                h.close();
            } catch (Exception e) {
                log.warn("closing the history pool: {}", e.toString());
            }
        });
        log.info("exporter: stopped");
    }
}
