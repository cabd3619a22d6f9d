package io.mpipe.sink;

import com.zaxxer.hikari.HikariDataSource;
import io.mpipe.common.http.Health;
import io.mpipe.common.http.ServiceHttpServer;
import io.mpipe.common.wire.Topics;
import io.mpipe.sink.batch.BatchPolicy;
import io.mpipe.sink.copy.CopyBatchWriter;
import io.mpipe.sink.dlq.DeadLetterPublisher;
import io.mpipe.sink.dlq.RecordFetcher;
import io.mpipe.sink.maintenance.SeriesCleanup;
import io.mpipe.sink.offsets.OffsetStore;
import io.mpipe.sink.schema.Database;
import io.mpipe.sink.schema.Migrations;
import io.mpipe.sink.schema.PartitionMaintainer;
import io.mpipe.sink.series.SeriesCache;
import io.mpipe.sink.series.SeriesResolver;
import io.mpipe.sink.write.WritePath;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the sink: pool, migrations, partition maintenance, DLQ producer, consumer, writer, loop,
 * HTTP. {@link #start} returns once everything runs; {@link #close()} flushes, commits and stops.
 */
public final class SinkApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SinkApp.class);
    /** A partition this long past its end gets its index by series (late samples are rare by then). */
    static final Duration CLOSED_AFTER = Duration.ofMinutes(10);
    private static final AtomicInteger INSTANCE = new AtomicInteger();

    private final SinkConfig config;
    private final HikariDataSource pool;
    private final KafkaProducer<byte[], byte[]> dlqProducer;
    private final RecordFetcher fetcher;
    private final SinkLoop loop;
    private final Thread loopThread;
    private final ScheduledExecutorService maintenance;
    private final ServiceHttpServer http;
    private boolean closed;

    private SinkApp(SinkConfig config, HikariDataSource pool, KafkaProducer<byte[], byte[]> dlqProducer,
            RecordFetcher fetcher, SinkLoop loop, ScheduledExecutorService maintenance, ServiceHttpServer http) {
        this.config = config;
        this.pool = pool;
        this.dlqProducer = dlqProducer;
        this.fetcher = fetcher;
        this.loop = loop;
        this.maintenance = maintenance;
        this.http = http;
        this.loopThread = new Thread(loop, "sink-loop-" + config.group());
    }

    /** Starts the sink. Migrations, when enabled, run before anything is consumed. */
    public static SinkApp start(SinkConfig config, CollectorRegistry registry) {
        return start(config, registry, CommitListener.NONE);
    }

    /** Starts the sink; {@code onCommit} hears of every committed batch (benchmarks time them). */
    public static SinkApp start(SinkConfig config, CollectorRegistry registry, CommitListener onCommit) {
        Clock clock = Clock.systemUTC();
        // the port first: one in use is a config error, found before anything else is set up
        SinkLoop[] loopRef = new SinkLoop[1];
        ServiceHttpServer http;
        try {
            http = new ServiceHttpServer("sink", config.http(), registry, () -> health(loopRef[0]));
        } catch (IOException e) {
            throw new UncheckedIOException("sink: cannot start HTTP on " + config.http(), e);
        }
        HikariDataSource pool = null;
        KafkaProducer<byte[], byte[]> dlqProducer = null;
        KafkaConsumer<byte[], byte[]> consumer = null;
        try {
            pool = Database.pool(config.postgres(), "sink-" + config.group());
            if (config.migrateOnStart()) {
                Migrations.migrate(pool);
                checkPartitionInterval(config, pool);
            }
            try (Admin admin = Admin.create(config.kafka().clientProperties())) {
                Topics.ensure(admin, config.kafka(), config.kafka().topic(), config.kafka().dlqTopic());
            }
            int n = INSTANCE.incrementAndGet();
            dlqProducer = new KafkaProducer<>(producerProps(config, n),
                    new ByteArraySerializer(), new ByteArraySerializer());
            consumer = new KafkaConsumer<>(consumerProps(config, n),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            SeriesCache cache = new SeriesCache(config.seriesCacheSize());
            SinkMetrics metrics = new SinkMetrics(registry, clock, cache);
            OffsetStore offsets = new OffsetStore(config.group());
            PartitionMaintainer partitions = new PartitionMaintainer(config.partitionInterval());
            DeadLetterPublisher deadLetters = new DeadLetterPublisher(dlqProducer, config.kafka().dlqTopic());
            CopyBatchWriter copy = new CopyBatchWriter(pool, new SeriesResolver(cache), partitions, offsets,
                    deadLetters, config.dedup());
            RecordFetcher fetcher = new RecordFetcher(() -> new KafkaConsumer<>(fetcherProps(config, n),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer()), Duration.ofSeconds(30));
            WritePath writer = new WritePath(copy, deadLetters, fetcher, config.maxBackoff(), metrics.writeListener());
            SinkLoop loop = new SinkLoop(consumer, writer, partitions.known(), offsets, pool,
                    new BatchPolicy(config.batchMaxRows(), config.batchMaxAge(), clock), metrics,
                    new SinkLoop.Options(config.kafka().topic(), config.retention().toMillis(),
                            config.partitionInterval().toMillis(), config.startFrom(),
                            config.maxBackoff(), Duration.ofSeconds(30), config.shutdownTimeout(),
                            maxPollRecords(config), config.maxFuture().toMillis(),
                            config.maxNewPartitionsPerBatch()), onCommit);
            ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "sink-maintenance");
                t.setDaemon(true);
                return t;
            });
            loopRef[0] = loop;
            SinkApp app = new SinkApp(config, pool, dlqProducer, fetcher, loop, maintenance, http);
            app.startRunning(clock);
            return app;
        } catch (RuntimeException e) {
            // nothing started stays open: the port, the clients, the pool
            http.close();
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(5));
            }
            if (dlqProducer != null) {
                dlqProducer.close(Duration.ofSeconds(5));
            }
            if (pool != null) {
                pool.close();
            }
            throw e;
        }
    }

    private static void checkPartitionInterval(SinkConfig config, HikariDataSource pool) {
        try {
            java.util.Set<Long> widths = PartitionMaintainer.existingWidths(pool);
            long configured = config.partitionInterval().toMillis();
            if (!widths.isEmpty() && !widths.equals(java.util.Set.of(configured))) {
                throw new io.mpipe.common.config.ConfigException("sink.partition-interval: "
                        + io.mpipe.common.config.Durations.format(config.partitionInterval())
                        + " differs from the partitions the database already has ("
                        + widths.stream().map(w -> io.mpipe.common.config.Durations.format(Duration.ofMillis(w)))
                                .toList() + "); keep the interval the database was created with");
            }
        } catch (SQLException e) {
            log.warn("sink: could not check the partition interval: {}", e.toString());
        }
    }

    private void startRunning(Clock clock) {
        PartitionMaintainer maintainer = new PartitionMaintainer(config.partitionInterval());
        maintenance.scheduleWithFixedDelay(() -> maintain(maintainer, clock), 0,
                config.maintenanceInterval().toMillis(), TimeUnit.MILLISECONDS);
        loopThread.start();
        http.start();
        log.info("sink: group {} consuming {} into {}", config.group(), config.kafka().topic(), config.postgres().url());
    }

    private void maintain(PartitionMaintainer maintainer, Clock clock) {
        try {
            maintainer.ensureAhead(pool, clock, config.partitionsAhead());
            maintainer.dropExpired(pool, clock, config.retention());
            SeriesCleanup.run(pool);
            maintainer.indexClosed(pool, clock, CLOSED_AFTER);
        } catch (SQLException | RuntimeException e) {
            maintainer.forget();
            log.warn("sink: partition maintenance failed, will retry in {}: {}", config.maintenanceInterval(),
                    e.toString());
        }
    }

    private static Health health(SinkLoop loop) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("consumer", loop.isRunning() ? "running" : "stopped");
        d.put("postgres", loop.databaseUp() ? "up" : "unreachable");
        d.put("partitions", Integer.toString(loop.assignedPartitions()));
        loop.writeProblem().ifPresent(p -> d.put("writes", p));
        loop.failure().ifPresent(f -> d.put("error", f.toString()));
        return loop.isRunning() && loop.databaseUp() ? Health.up(d) : Health.down(d);
    }

    static int maxPollRecords(SinkConfig c) {
        String configured = c.consumerProperties().get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG);
        return configured != null ? Integer.parseInt(configured)
                : Math.min(2_000, Math.max(500, c.batchMaxRows() / 10));
    }

    static Properties consumerProps(SinkConfig c, int instance) {
        Properties p = c.kafka().clientProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, c.group());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "sink-" + c.group() + "-" + ProcessHandle.current().pid() + "-" + instance);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(maxPollRecords(c)));
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(64 * 1024 * 1024));
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(4 * 1024 * 1024));
        p.putAll(c.consumerProperties());
        return p;
    }

    /** The consumer that reads refused rows' records back for their dead letters: no group. */
    static Properties fetcherProps(SinkConfig c, int instance) {
        Properties p = c.kafka().clientProperties();
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "sink-fetch-" + c.group() + "-" + ProcessHandle.current().pid() + "-"
                + instance);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        return p;
    }

    static Properties producerProps(SinkConfig c, int instance) {
        Properties p = c.kafka().clientProperties();
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "sink-dlq-" + c.group() + "-" + ProcessHandle.current().pid() + "-" + instance);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(DeadLetterPublisher.MAX_REQUEST_BYTES));
        return p;
    }

    public int httpPort() {
        return http.port();
    }

    public String httpBaseUrl() {
        return http.baseUrl();
    }

    public SinkLoop loop() {
        return loop;
    }

    /** Blocks until the loop ends (after {@link #close()} or a fatal error). */
    public void awaitTermination() throws InterruptedException {
        loopThread.join();
    }

    /** Flushes the current batch, commits it, leaves the group, closes the pool. */
    @Override
    public synchronized void close() {
        if (closed) {
            return; // a signal's stop and the shutdown hook both close it; the second waits for the first
        }
        closed = true;
        loop.stop();
        try {
            if (!loop.awaitStopped(config.shutdownTimeout().plusSeconds(15))) {
                log.warn("sink: loop did not stop within {}", config.shutdownTimeout());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        maintenance.shutdownNow();
        http.close();
        fetcher.close();
        dlqProducer.close(Duration.ofSeconds(10));
        pool.close();
        log.info("sink: stopped");
    }
}
