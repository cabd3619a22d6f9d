package io.mpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.embedded.FreePorts;
import io.mpipe.embedded.KafkaCluster;
import io.mpipe.sink.schema.Migrations;
import io.mpipe.testsupport.lab.Lab;
import io.mpipe.testsupport.lab.Relay;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.tools.consumer.group.ConsumerGroupCommandProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Exactly once past one broker and one host: three Kafka nodes, PostgreSQL, two sinks, two
 * exporters and the collector, each on a host of its own (network namespaces where the machine
 * allows, see {@link Lab}), through a leader killed three times, a sink cut off, PostgreSQL cut off
 * and then slow and lossy, an exporter cut off, and a leader change under the lag tools. Each
 * scenario prints its counts; after each, PostgreSQL holds every record in the topic exactly once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailoverIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "metrics";
    private static final String GROUP = "failover-sink";
    private static final int PARTITIONS = 6;
    private static final List<String> HOSTS = List.of("b1", "b2", "b3", "pg", "s1", "s2", "e1", "e2", "col");
    private static final List<String> SERVICE_JVM = List.of("-Xms32m", "-Xmx384m");

    private final Path dir = Path.of("target", "failover").toAbsolutePath();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, Integer> ports = new HashMap<>();
    private final Map<String, Process> services = new HashMap<>();
    private Lab lab;
    private KafkaCluster cluster;
    private int pgPort;
    private Relay pgRelay;

    @BeforeAll
    void startTheHosts() throws Exception {
        deleteTree(dir);
        Files.createDirectories(dir);
        lab = Lab.create(HOSTS);
        say("hosts: " + lab.describe());
        List<KafkaCluster.NodeSpec> nodes = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            String h = "b" + i;
            nodes.add(new KafkaCluster.NodeSpec(i, lab.address(h), port(h, 9092), port(h + "-controller", 9093),
                    lab.prefix(h)));
        }
        cluster = KafkaCluster.create(dir.resolve("kafka"), nodes, Map.of("num.partitions", Integer.toString(PARTITIONS)));
        cluster.start();
        pgPort = port("pg", 5432);
        Process pg = lab.startJava("pg", List.of("-Xmx128m"), "io.mpipe.embedded.PostgresHost",
                List.of(dir.resolve("postgres").toString(), Integer.toString(pgPort),
                        lab.address("pg") + (lab.isolated() ? ",127.0.0.1" : ""), lab.cidr(), "metrics",
                        Long.toString(ProcessHandle.current().pid())), log("pg"));
        services.put("pg", pg);
        Lab.awaitLine(pg, log("pg"), "postgres-host: ready", Duration.ofSeconds(90));
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(pgUrl(lab.address("pg"), pgPort));
        ds.setUser("postgres");
        Migrations.migrate(ds);
        pgRelay = Relay.start(lab.selfAddress(), new InetSocketAddress(lab.address("pg"), pgPort));
        for (String s : List.of("s1", "s2")) {
            startService(s, "sink", pgUrl(lab.address("pg"), pgPort));
        }
        for (String e : List.of("e1", "e2")) {
            startService(e, "exporter", pgUrl(lab.address("pg"), pgPort));
        }
        for (String s : List.of("s1", "s2", "e1", "e2")) {
            awaitHealthy(s);
        }
        await("both sinks hold partitions", Duration.ofSeconds(90),
                () -> partitionsOf("s1") > 0 && partitionsOf("s2") > 0);
        say("ready: 3 Kafka nodes " + cluster.bootstrapServers() + ", PostgreSQL " + lab.address("pg") + ":" + pgPort
                + ", sinks s1 and s2, exporters e1 and e2");
    }

    @AfterAll
    void stopTheHosts() {
        if (pgRelay != null) {
            pgRelay.close();
        }
        if (cluster != null) {
            cluster.close(); // before the lab takes their network away
        }
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void shouldStoreEveryRecordOnceWhenTheBusiestPartitionsLeaderIsKilledThreeTimes() throws Exception {
        long start = kafkaTotal();
        Process collector = startCollector(6_000);
        await("the collector's first 30,000 records", Duration.ofSeconds(60), () -> produced() >= 30_000);
        for (int kill = 1; kill <= 3; kill++) {
            Map<Integer, Long> ends = endOffsets();
            int busiest = ends.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            TopicPartition tp = new TopicPartition(TOPIC, busiest);
            int leader = cluster.leader(tp).orElseThrow();
            long before = ends.get(busiest);
            long t0 = System.nanoTime();
            cluster.kill(leader);
            await("a new leader of " + tp, Duration.ofSeconds(60),
                    () -> cluster.leader(tp).map(l -> l != leader).orElse(false));
            long elected = System.nanoTime() - t0;
            await(tp + " taking records again", Duration.ofSeconds(60), () -> endOffsets().get(busiest) > before);
            long resumed = System.nanoTime() - t0;
            say(String.format("kill %d: node %d (leader of %s, the busiest) SIGKILLed at offset %,d; new leader node %d"
                            + " after %,d ms; the partition took records again after %,d ms", kill, leader, tp, before,
                    cluster.leader(tp).orElse(-1), elected / 1_000_000, resumed / 1_000_000));
            cluster.start(leader);
            cluster.awaitInSync(allTopics(), Duration.ofSeconds(120));
            say("  node " + leader + " back, every replica in sync after "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
        await("300,000 records from the collector", Duration.ofSeconds(180), () -> produced() >= 300_000);
        Map<String, Double> m = scrape("col", 9401);
        assertThat(m.get("collector_dropped_records_total")).as("records the collector dropped").isZero();
        assertThat(m.getOrDefault("collector_send_errors_total", 0.0)).as("sends that failed for good").isZero();
        long producedAtStop = m.get("collector_records_produced_total").longValue();
        stop("col", collector);
        assertThat(Files.readString(log("col"))).doesNotContain("unacknowledged at shutdown");
        long total = assertExact("leader kills");
        assertThat(total - start).as("every record the collector had acknowledged is in the topic")
                .isGreaterThanOrEqualTo(producedAtStop);
    }

    @Test
    @Order(2)
    void shouldFenceASinkCutOffFromTheNetworkAndStayExact() throws Exception {
        Process collector = startCollector(3_000);
        await("records flowing", Duration.ofSeconds(60), () -> produced() >= 10_000);
        long s1Pid = services.get("s1").pid();
        Connection hold = null;
        if (lab.isolated()) {
            // s1's next write waits on a lock when its host is cut: it has a batch in hand, as a sink
            // in the middle of a write does
            hold = DriverManager.getConnection(pgUrl(lab.address("pg"), pgPort), "postgres", "");
            hold.setAutoCommit(false);
            List<Integer> held = new ArrayList<>();
            try (PreparedStatement ps = hold.prepareStatement("SELECT partition FROM sink_offsets WHERE consumer_group"
                    + " = ? AND owner LIKE ? FOR UPDATE")) {
                ps.setString(1, GROUP);
                ps.setString(2, "%/" + s1Pid + "/%");
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        held.add(rs.getInt(1));
                    }
                }
            }
            assertThat(held).as("partitions s1 holds").isNotEmpty();
            await("s1's write waiting on the offsets of " + held, Duration.ofSeconds(30),
                    () -> waitingOnLock(lab.address("s1")) > 0);
        }
        long t0 = System.nanoTime();
        lab.cut("s1");
        say("s1 cut off (" + (lab.isolated() ? "link down" : "stopped") + ")");
        await("s2 holding every partition", Duration.ofSeconds(60), () -> partitionsOf("s2") == PARTITIONS);
        long takeover = System.nanoTime() - t0;
        say(String.format("  s2 holds all %d partitions after %,d ms", PARTITIONS, takeover / 1_000_000));
        if (hold != null) {
            await("PostgreSQL dropping the sessions of the cut sink", Duration.ofSeconds(90),
                    () -> sessionsFrom(lab.address("s1")) == 0);
            say(String.format("  PostgreSQL dropped s1's sessions after %,d ms", (System.nanoTime() - t0) / 1_000_000));
            hold.rollback();
            hold.close();
        }
        sleepUntil(t0, Duration.ofSeconds(30));
        lab.heal("s1");
        long healed = System.nanoTime();
        say(String.format("s1 back after %,d ms", (healed - t0) / 1_000_000));
        if (lab.isolated()) {
            await("s1's batch in hand refused by the offsets in PostgreSQL", Duration.ofSeconds(90),
                    () -> fenced("s1") > 0);
            say(String.format("  s1's batch refused (fenced) %,d ms after it came back; it wrote none of it",
                    (System.nanoTime() - healed) / 1_000_000));
        }
        await("the partitions shared by s1 and s2 again", Duration.ofSeconds(90),
                () -> partitionsOf("s1") > 0 && partitionsOf("s1") + partitionsOf("s2") == PARTITIONS);
        say(String.format("  s1 holds %d partitions again %,d ms after it came back; batches refused: s1 %.0f, s2 %.0f",
                partitionsOf("s1"), (System.nanoTime() - healed) / 1_000_000, fenced("s1"), fenced("s2")));
        if (lab.isolated()) {
            assertThat(fenced("s2")).as("the zombie took nothing back from the owner").isZero();
        }
        stop("col", collector);
        assertExact("a sink cut off for 30 s");
    }

    @Test
    @Order(3)
    void shouldStayExactThroughAPostgresCutAndThenLatencyAndLoss() throws Exception {
        // the sinks go to PostgreSQL through a relay that can add latency (this kernel may lack netem)
        String relayed = pgUrl(lab.selfAddress(), pgRelay.port());
        for (String s : List.of("s1", "s2")) {
            stop(s, services.get(s));
            startService(s, "sink", relayed);
        }
        for (String s : List.of("s1", "s2")) {
            awaitHealthy(s);
        }
        Process collector = startCollector(4_000);
        await("records flowing", Duration.ofSeconds(60), () -> produced() >= 20_000);
        double base = rowsPerSecond(Duration.ofSeconds(10));
        say(String.format("PostgreSQL reached through a relay: %,.0f rows/s stored at 4,000 a second offered", base));
        long t0 = System.nanoTime();
        lab.cut("pg");
        sleepUntil(t0, Duration.ofSeconds(20));
        lab.heal("pg");
        long healed = System.nanoTime();
        long rowsAtHeal = rows();
        await("rows stored again", Duration.ofSeconds(120), () -> rows() > rowsAtHeal);
        say(String.format("PostgreSQL cut for 20 s: rows stored again %,d ms after it came back",
                (System.nanoTime() - healed) / 1_000_000));
        pgRelay.delay(Duration.ofMillis(50));
        boolean lossy = lab.loss("pg", 1);
        // the stored offsets first: read after the topic's end, they could pass it
        long storedBefore = storedOffsets();
        long lagBefore = kafkaTotal() - storedBefore;
        double slow = rowsPerSecond(Duration.ofSeconds(60));
        long storedAfter = storedOffsets();
        long lagAfter = kafkaTotal() - storedAfter;
        pgRelay.delay(Duration.ZERO);
        lab.clearLoss("pg");
        say(String.format("+100 ms round trip%s for 60 s: %,.0f rows/s stored; records not yet stored %,d before,"
                        + " %,d after", lossy ? " and 1 % of packets dropped each way" : " (no packet loss: loopback)",
                slow, lagBefore, lagAfter));
        Map<String, Double> m = scrape("s1", 9402);
        say(String.format("  s1: %.0f batches committed, %.0f retried writes", m.getOrDefault(
                "sink_batches_total{outcome=\"committed\"}", 0.0), m.getOrDefault("sink_retries_total", 0.0)));
        stop("col", collector);
        assertExact("PostgreSQL cut for 20 s, then +100 ms and 1 % loss for 60 s");
    }

    @Test
    @Order(4)
    void shouldAnswerForEveryPartitionFromTheOtherExporterAndSayWhatIsMissingMeanwhile() throws Exception {
        Process collector = startCollector(2_000);
        await("records flowing", Duration.ofSeconds(60), () -> produced() >= 10_000);
        String q = "/api/v1/metrics?name=synthetic_level_0&limit=10000";
        await("a whole answer from e2", Duration.ofSeconds(60), () -> {
            JsonNode a = query("e2", q);
            return a != null && !a.path("partial").asBoolean() && seriesIn(a) == 100;
        });
        long t0 = System.nanoTime();
        lab.cut("e1");
        say("e1 cut off (" + (lab.isolated() ? "link down" : "stopped") + ")");
        JsonNode partial = query("e2", q);
        assertThat(partial).as("e2's answer while e1 cannot be asked").isNotNull();
        assertThat(partial.path("partial").asBoolean()).isTrue();
        assertThat(partial.path("missing_partitions").size()).isPositive();
        assertThat(partial.path("unreachable").get(0).asText()).isEqualTo(lab.address("e1") + ":" + port("e1", 9400));
        say("  e2 answers partial: true, missing partitions " + partial.path("missing_partitions") + ", "
                + seriesIn(partial) + " of 100 series (those of e1's partitions from PostgreSQL)");
        await("e2 answering for every partition itself", Duration.ofSeconds(120), () -> {
            JsonNode a = query("e2", q);
            return a != null && !a.path("partial").asBoolean() && seriesIn(a) == 100
                    && "memory".equals(a.path("tier").asText());
        });
        say(String.format("  e2 answers for all partitions from its own store after %,d ms",
                (System.nanoTime() - t0) / 1_000_000));
        lab.heal("e1");
        awaitHealthy("e1");
        stop("col", collector);
        assertExact("an exporter cut off");
    }

    @Test
    @Order(5)
    void shouldReportTheSameLagAsKafkasOwnToolAcrossALeaderChange() throws Exception {
        for (String s : List.of("s1", "s2")) {
            stop(s, services.remove(s));
        }
        Process collector = startCollector(3_000);
        long from = produced();
        await("20,000 records behind the stopped sinks", Duration.ofSeconds(60), () -> produced() >= from + 20_000);
        stop("col", collector);
        TopicPartition p0 = new TopicPartition(TOPIC, 0);
        int leader = cluster.leader(p0).orElseThrow();
        cluster.kill(leader);
        await("a new leader of " + p0, Duration.ofSeconds(60), () -> cluster.leader(p0).map(l -> l != leader).orElse(false));
        long changed = System.currentTimeMillis();
        Map<Integer, Long> kafkas = new TreeMap<>();
        ConsumerGroupCommandProbe.lags(cluster.bootstrapServers(), GROUP).forEach((tp, lag) -> kafkas.put(tp.partition(), lag));
        Path config = dir.resolve("lag.yaml");
        Files.writeString(config, "kafka:\n  bootstrap-servers: " + cluster.bootstrapServers() + "\n");
        CommandRun ours = CommandRun.of("lag", "--config", config.toString(), "--group", GROUP, "--format", "json");
        assertThat(ours.exit()).as(ours.err()).isEqualTo(Pipeline.OK);
        Map<Integer, Long> cli = lags(JSON.readTree(ours.out()));
        await("the exporter's lag polled after the leader change", Duration.ofSeconds(60),
                () -> exporterLag("e2").path("polledAt").asLong() > changed);
        Map<Integer, Long> exporter = lags(exporterLag("e2"));
        say("lag by partition after node " + leader + " (leader of " + p0 + ") was killed: kafka-consumer-groups "
                + kafkas + ", bin/pipeline lag " + cli + ", the exporter " + exporter);
        assertThat(kafkas.values().stream().mapToLong(Long::longValue).sum()).isGreaterThanOrEqualTo(20_000);
        assertThat(cli).isEqualTo(kafkas);
        assertThat(exporter).isEqualTo(kafkas);
        cluster.start(leader);
        cluster.awaitInSync(allTopics(), Duration.ofSeconds(120));
        for (String s : List.of("s1", "s2")) {
            startService(s, "sink", pgUrl(lab.address("pg"), pgPort));
        }
        assertExact("the sinks started again after a leader change");
    }

    // ---- the hosts' services

    private int port(String key, int isolatedPort) {
        return ports.computeIfAbsent(key, k -> lab.isolated() ? isolatedPort : FreePorts.next());
    }

    private Path log(String host) {
        return dir.resolve(host + ".log");
    }

    private static String pgUrl(String host, int port) {
        return "jdbc:postgresql://" + host + ":" + port + "/metrics";
    }

    /** One service on {@code host}, with this lab's brokers and the given PostgreSQL. */
    private Process startService(String host, String service, String postgresUrl) throws IOException {
        int httpPort = port(host, switch (service) {
            case "collector" -> 9401;
            case "sink" -> 9402;
            default -> 9400;
        });
        String yaml = """
                kafka:
                  bootstrap-servers: %s
                  topic: metrics
                  topic-partitions: %d
                  properties:
                    # a member cut off leaves the group in 10 s (the classic protocol's default is 45)
                    session.timeout.ms: "10000"
                    heartbeat.interval.ms: "2000"
                postgres:
                  url: %s
                  user: postgres
                  password: ""
                  sslmode: disable
                collector:
                  http: {host: %s, port: %d}
                  synthetic: {enabled: true, series: 1000, rate: %s}
                sink:
                  http: {host: %s, port: %d}
                  group: %s
                exporter:
                  http: {host: %s, port: %d}
                  application-id: failover-exporter
                  state-dir: %s
                  history: {enabled: true}
                lag:
                  enabled: true
                  interval: 1s
                """.formatted(cluster.bootstrapServers(), PARTITIONS, postgresUrl, lab.address(host), httpPort,
                collectorRate, lab.address(host), httpPort, GROUP, lab.address(host), httpPort,
                dir.resolve(host + "-state"));
        Path config = dir.resolve(host + ".yaml");
        Files.writeString(config, yaml);
        Process p = lab.startJava(host, SERVICE_JVM, "io.mpipe.cli.Pipeline", List.of(service, "--config",
                config.toString()), log(host));
        services.put(host, p);
        return p;
    }

    private String collectorRate = "1000";

    private Process startCollector(int rate) throws IOException, InterruptedException {
        Process running = services.get("col");
        if (running != null && running.isAlive()) {
            stop("col", running); // a scenario that failed left it running
        }
        collectorRate = Integer.toString(rate);
        Process p = startService("col", "collector", pgUrl(lab.address("pg"), pgPort));
        awaitHealthy("col");
        return p;
    }

    /** Stops a service as its operator would (SIGTERM), and waits for it. */
    private void stop(String host, Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException(host + " did not stop within 60 s; its log: " + log(host));
        }
        services.remove(host, p);
    }

    private void awaitHealthy(String host) {
        int p = ports.get(host);
        await(host + " healthy", Duration.ofSeconds(90), () -> {
            HttpResponse<String> r = get(host, p, "/health");
            return r != null && r.statusCode() == 200;
        });
    }

    private HttpResponse<String> get(String host, int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://" + lab.address(host) + ":" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private int partitionsOf(String sink) {
        HttpResponse<String> r = get(sink, ports.get(sink), "/health");
        if (r == null) {
            return -1;
        }
        try {
            return JSON.readTree(r.body()).path("details").path("partitions").asInt(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    /** The exposition of {@code host}'s service: each sample line's series to its value. */
    private Map<String, Double> scrape(String host, int defaultPort) {
        HttpResponse<String> r = get(host, port(host, defaultPort), "/metrics");
        assertThat(r).as(host + " /metrics").isNotNull();
        return parse(r);
    }

    private static Map<String, Double> parse(HttpResponse<String> r) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int sp = line.lastIndexOf(' ');
            // the client library writes a comma after the last label: {outcome="fenced",}
            out.put(line.substring(0, sp).replace(",}", "}"), Double.parseDouble(line.substring(sp + 1)));
        }
        return out;
    }

    private double fenced(String sink) {
        HttpResponse<String> r = get(sink, ports.get(sink), "/metrics");
        return r == null ? -1 : parse(r).getOrDefault("sink_batches_total{outcome=\"fenced\"}", 0.0);
    }

    private long produced() {
        HttpResponse<String> r = get("col", ports.get("col"), "/metrics");
        if (r == null) {
            return -1;
        }
        return r.body().lines().filter(l -> l.startsWith("collector_records_produced_total "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
    }

    private JsonNode query(String exporter, String pathAndQuery) {
        HttpResponse<String> r = get(exporter, ports.get(exporter), pathAndQuery);
        if (r == null || r.statusCode() != 200) {
            return null;
        }
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            return null;
        }
    }

    private static int seriesIn(JsonNode answer) {
        Set<String> series = new HashSet<>();
        answer.path("metrics").forEach(m -> series.add(m.path("labels").toString()));
        return series.size();
    }

    private JsonNode exporterLag(String exporter) {
        HttpResponse<String> r = get(exporter, ports.get(exporter), "/api/v1/lag");
        try {
            return r == null || r.statusCode() != 200 ? JSON.createObjectNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    /** The sink group's lag by partition in a lag snapshot (the exporter's, or bin/pipeline lag's JSON). */
    private static Map<Integer, Long> lags(JsonNode snapshot) {
        Map<Integer, Long> out = new TreeMap<>();
        for (JsonNode g : snapshot.path("groups")) {
            if (GROUP.equals(g.path("group").asText())) {
                for (JsonNode p : g.path("partitions")) {
                    if (TOPIC.equals(p.path("topic").asText())) {
                        out.put(p.path("partition").asInt(), p.path("lag").asLong());
                    }
                }
            }
        }
        return out;
    }

    // ---- what PostgreSQL and Kafka hold

    private Connection pg() throws SQLException {
        return DriverManager.getConnection(pgUrl(lab.address("pg"), pgPort), "postgres", "");
    }

    private long queryLong(String sql) {
        try (Connection c = pg(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            return -1;
        }
    }

    private long rows() {
        return queryLong("SELECT count(*) FROM samples");
    }

    private long storedOffsets() {
        return queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets WHERE consumer_group = '" + GROUP + "'");
    }

    private long waitingOnLock(String clientAddress) {
        return queryLong("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND client_addr = '"
                + clientAddress + "'");
    }

    private long sessionsFrom(String clientAddress) {
        return queryLong("SELECT count(*) FROM pg_stat_activity WHERE client_addr = '" + clientAddress + "'");
    }

    private double rowsPerSecond(Duration over) throws InterruptedException {
        long r0 = rows();
        long t0 = System.nanoTime();
        Thread.sleep(over.toMillis());
        return (rows() - r0) / ((System.nanoTime() - t0) / 1e9);
    }

    private Map<Integer, Long> endOffsets() {
        try (Admin admin = cluster.admin()) {
            Map<TopicPartition, OffsetSpec> q = new HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                q.put(new TopicPartition(TOPIC, p), OffsetSpec.latest());
            }
            Map<Integer, Long> out = new TreeMap<>();
            admin.listOffsets(q).all().get(20, TimeUnit.SECONDS).forEach((tp, o) -> out.put(tp.partition(), o.offset()));
            return out;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("end offsets of " + TOPIC + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private long kafkaTotal() {
        return endOffsets().values().stream().mapToLong(Long::longValue).sum();
    }

    private List<String> allTopics() throws Exception {
        try (Admin admin = cluster.admin()) {
            return List.copyOf(admin.listTopics(new ListTopicsOptions().listInternal(true)).names()
                    .get(20, TimeUnit.SECONDS));
        }
    }

    /**
     * Waits until the sinks have stored up to the end of the topic, then checks that PostgreSQL holds
     * as many samples as the topic holds records: PostgreSQL stores a series' sample at a timestamp
     * once, so equal counts mean no record was lost, none was stored twice, and the topic holds no
     * record twice (the collector's retries through the failovers were idempotent).
     */
    private long assertExact(String scenario) throws Exception {
        long total = kafkaTotal();
        await("the sinks storing every record (" + scenario + ")", Duration.ofSeconds(180), () -> storedOffsets() == total);
        long rows = rows();
        say(String.format("%s: %,d records in the topic, %,d samples in PostgreSQL, offsets stored %,d", scenario, total,
                rows, storedOffsets()));
        assertThat(rows).as("samples in PostgreSQL, against records in the topic").isEqualTo(total);
        return total;
    }

    // ---- helpers

    private static void await(String what, Duration max, BooleanSupplier done) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + max.toSeconds() + " s: " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }

    private static void sleepUntil(long t0Nanos, Duration after) throws InterruptedException {
        long left = t0Nanos + after.toNanos() - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private static void say(String line) {
        System.out.println("[failover] " + line);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var paths = Files.walk(p)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
