package io.mpipe.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka cluster: N KRaft nodes, each both broker and controller, each a process of its own
 * ({@link KafkaNode}) with its own data directory and ports, so that one can be killed
 * ({@code SIGKILL}), stopped and started again while the others serve. Topics it creates by
 * default have {@code min(3, N)} replicas and {@code min.insync.replicas} {@code min(2, N)}, as
 * do the offsets and transaction topics. Each node may be started under a command prefix (such as
 * {@code ip netns exec NS}), to give it a host of its own.
 */
public final class KafkaCluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaCluster.class);
    /** How long a node may take to serve, from its start. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    /** Where a node listens, and what its process is started under. */
    public record NodeSpec(int id, String host, int port, int controllerPort, List<String> launchPrefix) {
    }

    private final Path dir;
    private final List<NodeSpec> nodes;
    private final String clusterId;
    private final Map<String, String> overrides;
    private final List<String> javaOptions;
    private final Map<Integer, Process> processes = new LinkedHashMap<>();

    private KafkaCluster(Path dir, List<NodeSpec> nodes, Map<String, String> overrides, List<String> javaOptions) {
        this.dir = dir;
        this.nodes = List.copyOf(nodes);
        this.overrides = overrides;
        this.javaOptions = javaOptions;
        this.clusterId = clusterId(dir);
    }

    /**
     * A cluster of {@code n} nodes on 127.0.0.1, node {@code i} (from 1) on {@code basePort + 2(i-1)}
     * and its controller on the port after; {@code basePort} 0 picks free ports.
     */
    public static KafkaCluster onLoopback(Path dir, int n, int basePort, Map<String, String> overrides) {
        List<NodeSpec> specs = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            int port = basePort == 0 ? FreePorts.next() : basePort + 2 * (i - 1);
            int controller = basePort == 0 ? FreePorts.next() : port + 1;
            specs.add(new NodeSpec(i, "127.0.0.1", port, controller, List.of()));
        }
        return create(dir, specs, overrides);
    }

    /** A cluster of the given nodes (ids from 1, hosts and prefixes of the caller's choosing). */
    public static KafkaCluster create(Path dir, List<NodeSpec> nodes, Map<String, String> overrides) {
        return create(dir, nodes, overrides, List.of("-Xms64m", "-Xmx512m"));
    }

    public static KafkaCluster create(Path dir, List<NodeSpec> nodes, Map<String, String> overrides,
            List<String> javaOptions) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a cluster needs at least one node");
        }
        int n = nodes.size();
        Map<String, String> c = new LinkedHashMap<>();
        String rf = Integer.toString(Math.min(3, n));
        String isr = Integer.toString(Math.min(2, n));
        c.put("default.replication.factor", rf);
        c.put("min.insync.replicas", isr);
        c.put("offsets.topic.replication.factor", rf);
        c.put("transaction.state.log.replication.factor", rf);
        c.put("transaction.state.log.min.isr", isr);
        c.put("share.coordinator.state.topic.replication.factor", rf);
        c.put("share.coordinator.state.topic.min.isr", isr);
        c.putAll(overrides);
        return new KafkaCluster(dir, nodes, c, javaOptions);
    }

    /** The cluster id, kept in the directory so that a cluster started again over it is the same one. */
    private static String clusterId(Path dir) {
        try {
            Files.createDirectories(dir);
            Path f = dir.resolve("cluster.id");
            if (Files.exists(f)) {
                return Files.readString(f).strip();
            }
            String id = Uuid.randomUuid().toString();
            Files.writeString(f, id);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("preparing the cluster directory " + dir, e);
        }
    }

    private String voters() {
        return nodes.stream().map(s -> s.id() + "@" + s.host() + ":" + s.controllerPort())
                .collect(Collectors.joining(","));
    }

    /** Starts every node and waits until each serves and the brokers have all registered. */
    public synchronized void start() {
        for (NodeSpec s : nodes) {
            if (!processes.containsKey(s.id())) {
                processes.put(s.id(), launch(s));
            }
        }
        for (NodeSpec s : nodes) {
            awaitReady(s);
        }
        awaitBrokers(nodes.size(), START_TIMEOUT);
        log.info("Kafka cluster of {} nodes serving at {}", nodes.size(), bootstrapServers());
    }

    private Process launch(NodeSpec s) {
        Path nodeDir = dir.resolve("node-" + s.id());
        List<String> cmd = new ArrayList<>(s.launchPrefix());
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(javaOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(KafkaNode.class.getName());
        cmd.addAll(List.of(Integer.toString(s.id()), s.host(), Integer.toString(s.port()),
                Integer.toString(s.controllerPort()), voters(), clusterId, nodeDir.resolve("data").toString(),
                Long.toString(ProcessHandle.current().pid())));
        overrides.forEach((k, v) -> cmd.add(k + "=" + v));
        try {
            Files.createDirectories(nodeDir);
            Path logFile = logFile(s.id());
            Files.writeString(logFile, "");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            log.info("Kafka node {} starting on {}:{} (pid {}, log {})", s.id(), s.host(), s.port(), p.pid(), logFile);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("starting Kafka node " + s.id(), e);
        }
    }

    /** The node's output: its log. */
    public Path logFile(int id) {
        return dir.resolve("node-" + id).resolve("node.log");
    }

    private void awaitReady(NodeSpec s) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        Process p = processes.get(s.id());
        while (true) {
            try {
                if (Files.readString(logFile(s.id()), StandardCharsets.UTF_8).contains(KafkaNode.READY)) {
                    return;
                }
            } catch (IOException | java.io.UncheckedIOException e) {
                // not written yet (or not valid UTF-8 half way through a line): look again
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("Kafka node " + s.id() + " exited with " + p.exitValue()
                        + " before it served; its log: " + logFile(s.id()));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Kafka node " + s.id() + " did not serve within " + START_TIMEOUT.toSeconds()
                        + " s; its log: " + logFile(s.id()));
            }
            sleep(100);
        }
    }

    /** Waits until {@code count} brokers are registered and not fenced (as the cluster tells a client). */
    public void awaitBrokers(int count, Duration timeout) {
        awaitAdmin(count + " brokers registered", timeout,
                admin -> admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() >= count);
    }

    /** A question asked of the cluster until it says yes; failing to answer counts as no. */
    @FunctionalInterface
    private interface AdminCheck {
        boolean holds(Admin admin) throws ExecutionException, TimeoutException, InterruptedException;
    }

    /** Asks {@code check} every 200 ms until it holds; throws when {@code timeout} passes first. */
    private void awaitAdmin(String what, Duration timeout, AdminCheck check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = admin()) {
            while (true) {
                try {
                    if (check.holds(admin)) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    // not yet
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(what + ": not within " + timeout.toSeconds() + " s");
                }
                sleep(200);
            }
        }
    }

    /** A client of the cluster (the caller closes it). */
    public Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        return Admin.create(p);
    }

    /** Kills node {@code id} at once ({@code SIGKILL}): no clean shutdown, as when its host dies. */
    public synchronized void kill(int id) {
        Process p = processes.remove(id);
        if (p != null) {
            p.destroyForcibly();
            waitFor(p, Duration.ofSeconds(30));
            log.info("Kafka node {} killed", id);
        }
    }

    /** Stops node {@code id} cleanly ({@code SIGTERM}: it hands its leaderships over first). */
    public synchronized void stop(int id) {
        Process p = processes.remove(id);
        if (p != null) {
            p.destroy();
            if (!waitFor(p, Duration.ofSeconds(60))) {
                p.destroyForcibly();
                waitFor(p, Duration.ofSeconds(30));
            }
            log.info("Kafka node {} stopped", id);
        }
    }

    /** Starts node {@code id} again over its data and waits until it serves. */
    public synchronized void start(int id) {
        NodeSpec s = spec(id);
        if (!processes.containsKey(id)) {
            processes.put(id, launch(s));
        }
        awaitReady(s);
    }

    public synchronized boolean isRunning(int id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    /** The process of node {@code id}, while it runs. */
    public synchronized Optional<ProcessHandle> process(int id) {
        return Optional.ofNullable(processes.get(id)).map(Process::toHandle);
    }

    private NodeSpec spec(int id) {
        return nodes.stream().filter(s -> s.id() == id).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + id));
    }

    public List<NodeSpec> nodes() {
        return nodes;
    }

    public String bootstrapServers() {
        return nodes.stream().map(s -> s.host() + ":" + s.port()).collect(Collectors.joining(","));
    }

    /** The node that leads {@code tp} now, as the cluster tells a client; empty while none does. */
    public Optional<Integer> leader(TopicPartition tp) {
        try (Admin admin = admin()) {
            TopicDescription d = admin.describeTopics(List.of(tp.topic())).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get(tp.topic());
            TopicPartitionInfo info = d.partitions().get(tp.partition());
            return info.leader() == null || info.leader().isEmpty() ? Optional.empty() : Optional.of(info.leader().id());
        } catch (ExecutionException | TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Waits until every replica of every partition of {@code topics} is in sync again (after a node came back). */
    public void awaitInSync(Collection<String> topics, Duration timeout) {
        awaitAdmin("replicas of " + topics + " in sync", timeout, admin -> {
            Map<String, TopicDescription> d = admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS);
            return d.values().stream().flatMap(t -> t.partitions().stream())
                    .allMatch(p -> p.isr().size() == p.replicas().size() && p.leader() != null);
        });
    }

    private static boolean waitFor(Process p, Duration max) {
        try {
            return p.waitFor(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Stops every node (in parallel: a node alone without its quorum would wait for it). */
    @Override
    public synchronized void close() {
        List<Process> running = new ArrayList<>(processes.values());
        processes.clear();
        running.forEach(Process::destroy);
        for (Process p : running) {
            if (!waitFor(p, Duration.ofSeconds(30))) {
                p.destroyForcibly();
                waitFor(p, Duration.ofSeconds(10));
            }
        }
    }

    /** Deletes the cluster's directory (after {@link #close()}). */
    public void deleteData() {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            log.warn("could not delete {}: {}", dir, e.toString());
        }
    }
}
