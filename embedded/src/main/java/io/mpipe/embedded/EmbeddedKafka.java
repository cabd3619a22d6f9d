package io.mpipe.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka broker running in this JVM: one node that is both broker and KRaft controller,
 * listening on 127.0.0.1. Its log directory is formatted on first start and kept, so a stopped
 * broker can be {@linkplain #start() started} again with its data, on the same port, which is how
 * the fault tests take the broker away and bring it back.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final Path logDir;
    private final String host;
    private final int nodeId;
    private final int port;
    private final int controllerPort;
    /** {@code controller.quorum.voters}; null: this node alone. */
    private final String voters;
    private final String clusterId;
    private final Map<String, String> overrides;
    private boolean deleteOnClose;
    private KafkaRaftServer server;

    private EmbeddedKafka(Path logDir, String host, int nodeId, int port, int controllerPort, String voters,
            String clusterId, Map<String, String> overrides) {
        this.logDir = logDir;
        this.host = host;
        this.nodeId = nodeId;
        this.port = port;
        this.controllerPort = controllerPort;
        this.voters = voters;
        this.clusterId = clusterId;
        this.overrides = Map.copyOf(overrides);
    }

    private EmbeddedKafka(Path logDir, int port, int controllerPort, Map<String, String> overrides) {
        this(logDir, "127.0.0.1", 1, port, controllerPort, null, Uuid.randomUuid().toString(), overrides);
    }

    /**
     * One node of a cluster ({@link KafkaCluster} runs each in a process of its own): broker and
     * controller, listening on {@code host}, one of the {@code voters}
     * ({@code id@host:controllerPort,...}); every node of a cluster is formatted with the same
     * {@code clusterId}.
     */
    public static EmbeddedKafka node(Path logDir, String host, int nodeId, int port, int controllerPort, String voters,
            String clusterId, Map<String, String> overrides) {
        Objects.requireNonNull(logDir, "logDir");
        return new EmbeddedKafka(logDir, host, nodeId, port, controllerPort, voters, clusterId, overrides);
    }

    /**
     * Creates a broker over {@code logDir} (formatted if new). {@code port} 0 picks a free port.
     * Call {@link #start()} to run it.
     */
    public static EmbeddedKafka create(Path logDir, int port, Map<String, String> overrides) {
        Objects.requireNonNull(logDir, "logDir");
        int p = port == 0 ? FreePorts.next() : port;
        return new EmbeddedKafka(logDir, p, FreePorts.next(), overrides);
    }

    /**
     * Creates a broker whose controller listens on a fixed port too, so that a broker started
     * again over the same directory (another process, the local mode) has the same quorum.
     */
    public static EmbeddedKafka create(Path logDir, int port, int controllerPort, Map<String, String> overrides) {
        Objects.requireNonNull(logDir, "logDir");
        return new EmbeddedKafka(logDir, port, controllerPort, overrides);
    }

    /** Creates and starts a broker on a free port in a new temporary directory. */
    public static EmbeddedKafka startTemporary() {
        try {
            EmbeddedKafka k = create(Files.createTempDirectory("mpipe-kafka-"), 0, Map.of());
            k.deleteOnClose = true;
            k.start();
            return k;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Map<String, String> config() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("process.roles", "broker,controller");
        c.put("node.id", Integer.toString(nodeId));
        c.put("controller.quorum.voters", voters != null ? voters : nodeId + "@" + host + ":" + controllerPort);
        c.put("listeners", "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
        c.put("advertised.listeners", "PLAINTEXT://" + host + ":" + port);
        c.put("controller.listener.names", "CONTROLLER");
        c.put("inter.broker.listener.name", "PLAINTEXT");
        c.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        c.put("log.dirs", logDir.toAbsolutePath().toString());
        c.put("num.partitions", "4");
        c.put("auto.create.topics.enable", "false");
        c.put("offsets.topic.replication.factor", "1");
        c.put("offsets.topic.num.partitions", "5");
        c.put("transaction.state.log.replication.factor", "1");
        c.put("transaction.state.log.min.isr", "1");
        c.put("transaction.state.log.num.partitions", "5");
        c.put("share.coordinator.state.topic.replication.factor", "1");
        c.put("share.coordinator.state.topic.min.isr", "1");
        c.put("group.initial.rebalance.delay.ms", "0");
        c.put("log.segment.bytes", Integer.toString(256 * 1024 * 1024));
        c.put("log.retention.check.interval.ms", "60000");
        c.putAll(overrides);
        return c;
    }

    /** Starts the broker (formatting the log directory the first time) and waits until it serves. */
    public synchronized void start() {
        if (server != null) {
            return;
        }
        Map<String, String> config = config();
        try {
            Files.createDirectories(logDir);
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format(config);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("preparing Kafka log directory " + logDir, e);
        }
        Properties props = new Properties();
        props.putAll(config);
        KafkaRaftServer s = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        s.startup();
        server = s;
        log.info("Kafka broker started on {} (log dir {})", bootstrapServers(), logDir);
    }

    private void format(Map<String, String> config) throws IOException {
        Path propsFile = Files.createTempFile("mpipe-kafka-format-", ".properties");
        try {
            Properties props = new Properties();
            props.putAll(config);
            try (Writer w = Files.newBufferedWriter(propsFile)) {
                props.store(w, "format");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int rc;
            try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
                rc = StorageTool.execute(new String[] {
                    "format", "-t", clusterId, "-c", propsFile.toString()}, ps);
            }
            if (rc != 0) {
                throw new IllegalStateException("formatting Kafka storage failed (" + rc + "): "
                        + out.toString(StandardCharsets.UTF_8));
            }
        } finally {
            Files.deleteIfExists(propsFile);
        }
    }

    /** Stops the broker, keeping its data; {@link #start()} brings it back on the same port. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
        log.info("Kafka broker on {} stopped", bootstrapServers());
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    public String bootstrapServers() {
        return host + ":" + port;
    }

    public int port() {
        return port;
    }

    public Path logDir() {
        return logDir;
    }

    /** Stops the broker; a temporary one also deletes its log directory. */
    @Override
    public void close() {
        stop();
        if (deleteOnClose) {
            try (var paths = Files.walk(logDir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                log.warn("could not delete {}: {}", logDir, e.toString());
            }
        }
    }
}
