package io.mpipe.cli.local;

import io.mpipe.cli.ConfigOption;
import io.mpipe.collector.CollectorApp;
import io.mpipe.collector.CollectorConfig;
import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.ConfigReader;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.config.Durations;
import io.mpipe.common.config.HttpSettings;
import io.mpipe.common.http.SelfMetrics;
import io.mpipe.common.http.ServiceHttpServer;
import io.mpipe.embedded.EmbeddedKafka;
import io.mpipe.embedded.EmbeddedPostgres;
import io.mpipe.embedded.KafkaCluster;
import io.mpipe.exporter.ExporterApp;
import io.mpipe.exporter.ExporterConfig;
import io.mpipe.exporter.lag.LagSnapshot;
import io.mpipe.sink.SinkApp;
import io.mpipe.sink.SinkConfig;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The whole pipeline on one machine, with no Docker: an in-process Kafka broker and an embedded
 * PostgreSQL keeping their data in a directory, and the three services in this JVM, configured
 * from the usual config file with the broker and database filled in.
 */
public final class LocalMode implements AutoCloseable {
    public static final String DATABASE = "metrics";

    /** What to run. {@code config} may be null (defaults). */
    public record Options(Path dataDir, int kafkaPort, int postgresPort, Double syntheticRate, boolean synthetic,
            int statusIntervalSeconds, Path config, int brokers) {

        public Options(Path dataDir, int kafkaPort, int postgresPort, Double syntheticRate, boolean synthetic,
                int statusIntervalSeconds, Path config) {
            this(dataDir, kafkaPort, postgresPort, syntheticRate, synthetic, statusIntervalSeconds, config, 1);
        }

        /** The bootstrap servers of the local broker(s): node i on kafka-port + 2(i-1). */
        String bootstrapServers() {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < brokers; i++) {
                b.append(i == 0 ? "" : ",").append("127.0.0.1:").append(kafkaPort + 2 * i);
            }
            return b.toString();
        }
    }

    private final Options options;
    /** The one in-process broker, or null with --brokers above 1. */
    private final EmbeddedKafka kafka;
    /** The brokers, a process each, with --brokers above 1; else null. */
    private final KafkaCluster cluster;
    private final EmbeddedPostgres postgres;
    private final List<AutoCloseable> services = new ArrayList<>();
    private ExporterApp exporter;
    private SinkApp sink;
    private CollectorApp collector;
    private CollectorRegistry collectorRegistry;
    private CollectorRegistry sinkRegistry;
    private String sinkGroup;
    private long rowsAtStart;
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** Set as soon as stopping begins (the status loop reads it too). */
    private volatile boolean closing;

    /** Held while this local mode runs: one local mode per data directory. */
    private final FileChannel dataDirLock;

    private LocalMode(Options options, EmbeddedKafka kafka, KafkaCluster cluster, EmbeddedPostgres postgres,
            FileChannel dataDirLock) {
        this.dataDirLock = dataDirLock;
        this.options = options;
        this.kafka = kafka;
        this.cluster = cluster;
        this.postgres = postgres;
    }

    public static LocalMode start(Options o) throws IOException {
        if (o.brokers() < 1 || o.brokers() > 9) {
            throw new ConfigException("--brokers: " + o.brokers() + " is out of range [1, 9]");
        }
        // each broker's controller takes the port after its own
        checkPortNumber(o.kafkaPort(), "--kafka-port", 65535 - 2 * o.brokers() + 1);
        checkPortNumber(o.postgresPort(), "--postgres-port", 65535);
        FileChannel lock = null;
        Configs configs;
        try {
            if (Files.isDirectory(o.dataDir())) {
                lock = lockDataDir(o.dataDir());
                // a server an earlier run left behind when it was killed holds the port: it is ours to stop
                EmbeddedPostgres.stopLeftover(o.dataDir().resolve("postgres")).ifPresent(pid -> progress("stopped"
                        + " PostgreSQL (pid " + pid + ") left running on " + o.dataDir().resolve("postgres")
                        + " by an earlier run that was killed"));
            }
            // every problem of every service's config, before anything starts
            configs = validatedConfigs(o);
            if (lock == null) {
                Files.createDirectories(o.dataDir());
                lock = lockDataDir(o.dataDir());
            }
        } catch (RuntimeException | IOException e) {
            if (lock != null) {
                lock.close();
            }
            throw e;
        }
        EmbeddedKafka kafka = null;
        KafkaCluster cluster = null;
        if (o.brokers() == 1) {
            progress("starting Kafka (KRaft, in-process) on 127.0.0.1:" + o.kafkaPort() + ", data in "
                    + o.dataDir().resolve("kafka"));
            kafka = EmbeddedKafka.create(o.dataDir().resolve("kafka"), o.kafkaPort(), o.kafkaPort() + 1, Map.of());
            kafka.start();
        } else {
            progress("starting a Kafka cluster of " + o.brokers() + " KRaft nodes, a process each, on "
                    + o.bootstrapServers() + " (topics replicated " + Math.min(3, o.brokers())
                    + " times, min.insync.replicas " + Math.min(2, o.brokers()) + "), data in "
                    + o.dataDir().resolve("kafka-cluster"));
            cluster = KafkaCluster.onLoopback(o.dataDir().resolve("kafka-cluster"), o.brokers(), o.kafkaPort(),
                    Map.of());
            try {
                cluster.start();
            } catch (RuntimeException e) {
                cluster.close();
                throw e;
            }
        }
        progress("starting PostgreSQL on 127.0.0.1:" + o.postgresPort() + ", data in " + o.dataDir().resolve("postgres"));
        EmbeddedPostgres pg = EmbeddedPostgres.create(o.dataDir().resolve("postgres"), true, o.postgresPort());
        LocalMode mode = new LocalMode(o, kafka, cluster, pg, lock);
        try {
            pg.start();
            pg.watch(ProcessHandle.current()); // stops it should this process be killed
            pg.createDatabase(DATABASE);
            mode.startServices(configs);
        } catch (RuntimeException | IOException e) {
            mode.close();
            throw e;
        }
        return mode;
    }

    /**
     * Locks {@code dataDir} for this process (the lock goes with the process, however it ends).
     *
     * @throws ConfigException when another local mode holds it
     */
    private static FileChannel lockDataDir(Path dataDir) throws IOException {
        FileChannel ch = FileChannel.open(dataDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            if (ch.tryLock() != null) {
                return ch;
            }
        } catch (OverlappingFileLockException e) {
            // this JVM holds it already
        }
        ch.close();
        throw new ConfigException("--data-dir: " + dataDir + " is in use by another bin/pipeline local; stop it, or"
                + " choose another --data-dir");
    }

    private static void checkPortNumber(int port, String option, int max) {
        if (port < 1 || port > max) {
            throw new ConfigException(option + ": " + port + " is out of range [1, " + max + "]");
        }
    }

    private static void checkPortFree(int port, String option, Set<String> problems) {
        if (cannotBind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)) != null) {
            problems.add(option + ": port " + port + " is in use (choose another one)");
        }
    }

    /** Null when {@code address} can be bound now; otherwise why not. */
    private static IOException cannotBind(InetSocketAddress address) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(address, 1);
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    private static ConfigSource source(Options o, Map<String, String> env) {
        return o.config() == null ? ConfigSource.empty(env) : ConfigSource.load(o.config(), env);
    }

    /** A service's config, and the reader that read it (whose record of it is logged at start). */
    record Read<T>(T config, ConfigReader reader) {
    }

    /** The three services' configs, as local mode gives them. */
    record Configs(Read<CollectorConfig> collector, Read<SinkConfig> sink, Read<ExporterConfig> exporter) {
    }

    /**
     * The services' configs as local mode gives them: the file (or defaults) with the broker and the
     * database pointed at the local ones, checked for all three services at once, and the ports
     * they and the broker and the database take free.
     *
     * @throws ConfigException with every problem of every service, each once
     */
    static Configs validatedConfigs(Options o) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("PIPELINE_KAFKA_BOOTSTRAP_SERVERS", o.bootstrapServers());
        env.put("PIPELINE_POSTGRES_URL", EmbeddedPostgres.jdbcUrl(o.postgresPort(), DATABASE));
        env.put("PIPELINE_POSTGRES_USER", EmbeddedPostgres.SUPERUSER);
        env.put("PIPELINE_POSTGRES_PASSWORD", "");
        env.put("PIPELINE_COLLECTOR_SYNTHETIC_ENABLED", Boolean.toString(o.synthetic()));
        if (o.syntheticRate() != null) {
            env.put("PIPELINE_COLLECTOR_SYNTHETIC_RATE", Double.toString(o.syntheticRate()));
        }
        env.putIfAbsent("PIPELINE_COLLECTOR_REMOTE_WRITE_ENABLED", "true");
        env.putIfAbsent("PIPELINE_EXPORTER_HISTORY_ENABLED", "true");
        env.putIfAbsent("PIPELINE_EXPORTER_STATE_DIR", o.dataDir().resolve("exporter-state").toString());
        ConfigSource file = source(o, env);
        if (!env.containsKey(ConfigReader.envName("sink.retention")) && !file.has("sink.retention")) {
            // history replayed into local mode is kept, whatever its age, unless a retention is set
            env.put(ConfigReader.envName("sink.retention"), Durations.format(KEEP));
        }
        Set<String> problems = new LinkedHashSet<>();
        Read<CollectorConfig> probe = check(file, CollectorConfig::read, CollectorConfig.SECTIONS, problems);
        if (probe != null && !probe.config().hedera().accounts().isEmpty()
                && !probe.config().hedera().baseUrl().isBlank()) {
            env.putIfAbsent("PIPELINE_COLLECTOR_HEDERA_ENABLED", "true");
        }
        ConfigSource source = source(o, env);
        Configs configs = new Configs(check(source, CollectorConfig::read, CollectorConfig.SECTIONS, problems),
                check(source, SinkConfig::read, SinkConfig.SECTIONS, problems),
                check(source, ExporterConfig::read, ExporterConfig.SECTIONS, problems));
        if (problems.isEmpty()) {
            for (int i = 0; i < o.brokers(); i++) {
                int port = o.kafkaPort() + 2 * i;
                String which = o.brokers() == 1 ? "" : " (broker " + (i + 1) + ")";
                checkPortFree(port, "--kafka-port" + which, problems);
                checkPortFree(port + 1, "--kafka-port" + which + " (its controller uses the next port)", problems);
            }
            checkPortFree(o.postgresPort(), "--postgres-port", problems);
            checkHttpPortFree("collector", configs.collector().config().http(), problems);
            checkHttpPortFree("sink", configs.sink().config().http(), problems);
            checkHttpPortFree("exporter", configs.exporter().config().http(), problems);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(List.copyOf(problems));
        }
        return configs;
    }

    /** A service's HTTP port in use, found before the broker and the database are started for nothing. */
    private static void checkHttpPortFree(String service, HttpSettings http, Set<String> problems) {
        IOException e = http.port() == 0 ? null : cannotBind(new InetSocketAddress(http.host(), http.port()));
        if (e != null) {
            problems.add(ServiceHttpServer.bindProblem(service, http, e));
        }
    }

    /** Local mode's default {@code sink.retention}: the longest there is. */
    static final Duration KEEP = Duration.ofDays(36_500);

    private static <T> Read<T> check(ConfigSource source, Function<ConfigReader, T> read, String[] sections,
            Set<String> problems) {
        ConfigReader r = source.reader();
        try {
            return new Read<>(r.read(read, sections), r);
        } catch (ConfigException e) {
            problems.addAll(e.problems()); // the sections services share report alike: each once
            return null;
        }
    }

    private void startServices(Configs c) throws IOException {
        // each logs its effective configuration, as its service does (the logging section is shared)
        CollectorConfig cc = ConfigOption.announce("collector", c.collector().reader(), c.collector().config(),
                CollectorConfig::logging);
        SinkConfig sc = ConfigOption.announce("sink", c.sink().reader(), c.sink().config(), SinkConfig::logging);
        ExporterConfig ec = ConfigOption.announce("exporter", c.exporter().reader(), c.exporter().config(),
                ExporterConfig::logging);
        rowsAtStart = countRows();

        exporter = ExporterApp.start(ec, SelfMetrics.newRegistryWithJvmMetrics());
        services.add(0, exporter);
        sinkRegistry = SelfMetrics.newRegistryWithJvmMetrics();
        sink = SinkApp.start(sc, sinkRegistry);
        sinkGroup = sc.group();
        services.add(0, sink);
        collectorRegistry = SelfMetrics.newRegistryWithJvmMetrics();
        collector = CollectorApp.start(cc, collectorRegistry);
        services.add(0, collector);

        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!exporter.isReady() && System.nanoTime() < deadline) {
            sleep(200);
        }
        System.out.println();
        System.out.println("mpipe local is running (data in " + options.dataDir() + ")");
        System.out.println("  exporter /metrics   " + exporter.httpBaseUrl() + "/metrics");
        System.out.println("  query API           " + exporter.httpBaseUrl() + "/api/v1/metrics?name=...  "
                + exporter.httpBaseUrl() + "/api/v1/storage/stats  " + exporter.httpBaseUrl() + "/api/v1/lag");
        System.out.println("  collector /metrics  " + collector.httpBaseUrl() + "/metrics");
        if (cc.remoteWrite() != null) {
            System.out.println("  remote write        " + collector.httpBaseUrl() + "/api/v1/write  (Prometheus"
                    + " remote_write); remote read " + exporter.httpBaseUrl() + "/api/v1/read");
        }
        System.out.println("  sink /metrics       " + sink.httpBaseUrl() + "/metrics");
        System.out.println("  PostgreSQL          " + postgres.jdbcUrl(DATABASE) + "  (user postgres, no password)");
        System.out.println("  Kafka               " + options.bootstrapServers() + "  (topic " + cc.kafka().topic()
                + (cluster != null ? ", " + options.brokers() + " brokers" : "") + ")");
        System.out.println("ready: " + (exporter.isReady() ? "all services up" : "exporter not ready yet")
                + "; Ctrl-C stops");
        System.out.flush();
    }

    /** Prints a health line every few seconds until SIGTERM or Ctrl-C, then stops everything. */
    public int runUntilStopped() throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "local-shutdown"));
        double lastProduced = counter(collectorRegistry, "collector_records_produced_total");
        double lastStored = counter(sinkRegistry, "sink_rows_written_total");
        long last = System.nanoTime();
        while (!stopped.await(options.statusIntervalSeconds(), TimeUnit.SECONDS)) {
            if (closing) {
                continue; // the services are stopping: their counts say nothing now
            }
            long now = System.nanoTime();
            double secs = (now - last) / 1e9;
            double produced = counter(collectorRegistry, "collector_records_produced_total");
            double stored = counter(sinkRegistry, "sink_rows_written_total");
            System.out.println(status((produced - lastProduced) / secs, (stored - lastStored) / secs,
                    rowsAtStart + (long) stored));
            System.out.flush();
            lastProduced = produced;
            lastStored = stored;
            last = now;
        }
        return 0;
    }

    private String status(double producedPerS, double storedPerS, long rows) {
        String lag = "sink lag not measured yet";
        if (exporter != null && exporter.lag().isPresent()) {
            LagSnapshot snap = exporter.lag().get().snapshot();
            for (LagSnapshot.Group g : snap.groups()) {
                if (g.group().equals(sinkGroup)) {
                    lag = String.format(Locale.ROOT, "sink lag %,d records (%s s)", g.sumLag(),
                            Double.isNaN(g.maxLagSeconds()) ? "?" : String.format(Locale.ROOT, "%.1f", g.maxLagSeconds()));
                }
            }
        }
        return String.format(Locale.ROOT, "[local] produced %,.0f/s  stored %,.0f/s  rows %,d  exporter series %,d  %s",
                producedPerS, storedPerS, rows, exporter == null ? 0 : exporter.pool().seriesCount(), lag);
    }

    private static double counter(CollectorRegistry r, String name) {
        Double v = r == null ? null : r.getSampleValue(name);
        return v == null ? 0 : v;
    }

    private long countRows() {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(DATABASE), EmbeddedPostgres.SUPERUSER, "");
                Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regclass('samples') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return 0; // a new database: the sink creates the schema
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM samples")) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("counting rows in " + postgres.jdbcUrl(DATABASE) + ": " + e.getMessage(), e);
        }
    }

    private static void progress(String s) {
        System.out.println("[local] " + s);
        System.out.flush();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the collector, the sink (flushing its batch), the exporter, PostgreSQL and Kafka. */
    @Override
    public synchronized void close() {
        if (closing) {
            return;
        }
        closing = true;
        for (AutoCloseable s : services) {
            try {
                s.close();
            } catch (Exception e) {
                System.err.println("[local] stopping " + s.getClass().getSimpleName() + ": " + e);
            }
        }
        try {
            postgres.close();
        } catch (UncheckedIOException e) {
            System.err.println("[local] stopping PostgreSQL: " + e.getMessage());
        }
        if (kafka != null) {
            kafka.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        try {
            dataDirLock.close();
        } catch (IOException e) {
            System.err.println("[local] releasing " + options.dataDir() + ": " + e.getMessage());
        }
        System.out.println("[local] stopped");
        System.out.flush();
        stopped.countDown();
    }
}
