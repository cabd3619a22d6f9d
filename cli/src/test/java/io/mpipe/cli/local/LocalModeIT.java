package io.mpipe.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.mpipe.embedded.FreePorts;
import io.mpipe.testsupport.StubHttpServer;
import io.mpipe.testsupport.TestData;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/pipeline local} as a user runs it: a separate process on free ports, with the Hedera
 * sources against a mirror-node stub. Checks rows in PostgreSQL, series on the exporter, the sink's
 * lag, a clean SIGTERM and a restart that finds the earlier rows; and that every metric name the
 * Grafana dashboard and the alert rules use is one the running services really export.
 */
class LocalModeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private record Ports(int kafka, int postgres, int exporter, int collector, int sink) {
    }

    /** A local-mode process; its standard output goes to a file the test reads. */
    private record Running(Process process, Path out) {
        List<String> lines() {
            try {
                return Files.readAllLines(out, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return List.of();
            }
        }

        boolean printed(String prefix) {
            return lines().stream().anyMatch(l -> l.startsWith(prefix));
        }
    }

    static Path repoRoot() {
        return TestData.repoRoot();
    }

    private static Running start(Path config, Path data, Ports ports, Path log, Path out) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(repoRoot().resolve("bin").resolve("pipeline").toString(), "local",
                "--config", config.toString(), "--data-dir", data.toString(), "--kafka-port",
                Integer.toString(ports.kafka()), "--postgres-port", Integer.toString(ports.postgres()),
                "--status-interval", "2");
        pb.directory(repoRoot().toFile());
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Files.deleteIfExists(out);
        pb.redirectOutput(out.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return new Running(pb.start(), out);
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        return r.body();
    }

    private static long rows(Ports p) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + p.postgres() + "/metrics",
                "postgres", ""); ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM metrics")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static StubHttpServer mirror() {
        Path f = TestData.dir("hedera-mirror");
        StubHttpServer s = new StubHttpServer();
        s.always("/api/v1/network/supply", StubHttpServer.file(f.resolve("response_network_supply_no-params.json")))
                .always("/api/v1/network/exchangerate", StubHttpServer.file(f.resolve("example_network_exchangerate.json")))
                .always("/api/v1/network/nodes", StubHttpServer.file(f.resolve("response_network_nodes_no-params.json")))
                .always("/api/v1/network/stake", StubHttpServer.file(f.resolve("example_network_stake.json")))
                .always("/api/v1/network/fees", StubHttpServer.file(f.resolve("response_network_fees_no-params.json")))
                .always("/api/v1/blocks?limit=2&order=desc",
                        StubHttpServer.file(f.resolve("response_blocks_limit2_paginated.json")))
                .always("/api/v1/accounts/0.0.8?transactions=false",
                        StubHttpServer.file(f.resolve("response_accounts_id_no-params.json")))
                .always("/api/v1/transactions?account.id=0.0.8&order=asc&limit=100&timestamp=gt:1565779000.000000000",
                        StubHttpServer.file(f.resolve("response_transactions_limit2_paginated.json")))
                .always("/api/v1/transactions?limit=2&timestamp=lt:1565779600.711927001",
                        StubHttpServer.Response.ok("{\"transactions\":[],\"links\":{\"next\":null}}"))
                .always("/api/v1/transactions?account.id=0.0.8&order=asc&limit=100&timestamp=gt:1565779666.711927001",
                        StubHttpServer.Response.ok("{\"transactions\":[],\"links\":{\"next\":null}}"));
        return s;
    }

    @Test
    void shouldRunEverythingLocallyStopCleanlyAndResume(@TempDir Path dir) throws Exception {
        // the broker's controller takes the port after the broker's
        Ports p = new Ports(FreePorts.pair(), FreePorts.next(), FreePorts.next(), FreePorts.next(), FreePorts.next());
        Path data = dir.resolve("data");
        Path log = repoRoot().resolve("cli").resolve("target").resolve("local-mode.log");
        Files.deleteIfExists(log);
        try (StubHttpServer mirror = mirror()) {
            Path config = dir.resolve("local.yaml");
            Files.writeString(config, """
                    collector:
                      http:
                        port: %d
                      synthetic:
                        rate: 500
                        series: 200
                        names: 8
                      hedera:
                        network: testnet
                        base-url: %s
                        transactions-from: "1565779000.000000000"
                        tps-blocks: 2
                        max-backoff: 100ms
                        accounts:
                          - id: 0.0.8
                            label: treasury
                        intervals: {accounts: 1s, nodes: 1s, supply: 1s, stake: 1s, exchange-rate: 1s, fees: 1s, blocks: 1s}
                    sink:
                      http:
                        port: %d
                    exporter:
                      http:
                        port: %d
                    lag:
                      interval: 1s
                    """.formatted(p.collector(), mirror.baseUrl(), p.sink(), p.exporter()));
            Running first = start(config, data, p, log, dir.resolve("first.out"));
            long rowsBeforeStop;
            try {
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() -> {
                    assertThat(first.process.isAlive()).as("local mode exited early; see " + log).isTrue();
                    return first.printed("ready:");
                });
                String exporter = "http://127.0.0.1:" + p.exporter();
                assertThat(first.lines()).anyMatch(l -> l.contains(exporter + "/metrics"))
                        .anyMatch(l -> l.contains("jdbc:postgresql://127.0.0.1:" + p.postgres() + "/metrics"));
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() ->
                        rows(p) > 0
                                && get(exporter + "/metrics").contains("synthetic_level_0{")
                                && get(exporter + "/metrics").contains("hedera_account_balance_tinybars{")
                                && sinkLag(exporter) <= 1_000);
                await().atMost(Duration.ofSeconds(10)).until(() -> first.printed("[local] produced"));

                // the dashboards use series of every Hedera source, each polled on its own schedule:
                // wait until all of them are exported, then keep what the services served
                Set<String> wanted = usedByDashboardsAndAlerts();
                assertThat(wanted).isNotEmpty();
                Map<String, String> served = new TreeMap<>();
                Set<String> exported = new TreeSet<>();
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    served.clear();
                    exported.clear();
                    served.put("exporter", get("http://127.0.0.1:" + p.exporter() + "/metrics"));
                    served.put("collector", get("http://127.0.0.1:" + p.collector() + "/metrics"));
                    served.put("sink", get("http://127.0.0.1:" + p.sink() + "/metrics"));
                    served.values().forEach(text -> exported.addAll(names(text)));
                    assertThat(exported).as("series the dashboards and alerts use").containsAll(wanted);
                });
                Path out = repoRoot().resolve("cli").resolve("target").resolve("exposition");
                Files.createDirectories(out);
                for (Map.Entry<String, String> e : served.entrySet()) {
                    Files.writeString(out.resolve("local-" + e.getKey() + ".prom"), e.getValue());
                }

                rowsBeforeStop = rows(p);
                // pg_ctl daemonizes PostgreSQL, so look for it by its data directory, and at the JVM's children
                List<ProcessHandle> children = new ArrayList<>(first.process.descendants().toList());
                List<ProcessHandle> postgres = processesUsing(data.resolve("postgres"));
                assertThat(postgres).as("PostgreSQL serving " + data).isNotEmpty();
                children.addAll(postgres);
                first.process.destroy(); // SIGTERM
                assertThat(first.process.waitFor(90, TimeUnit.SECONDS)).isTrue();
                assertThat(first.process.exitValue()).isZero();
                await().atMost(Duration.ofSeconds(5)).until(() -> first.printed("[local] stopped"));
                await().atMost(Duration.ofSeconds(10)).until(() -> children.stream().noneMatch(ProcessHandle::isAlive));
            } finally {
                first.process.descendants().forEach(ProcessHandle::destroyForcibly);
                first.process.destroyForcibly();
                first.process.waitFor(30, TimeUnit.SECONDS);
                processesUsing(data.resolve("postgres")).forEach(ProcessHandle::destroyForcibly);
            }

            Running second = start(config, data, p, log, dir.resolve("second.out"));
            try {
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() -> {
                    assertThat(second.process.isAlive()).as("local mode exited early; see " + log).isTrue();
                    return second.printed("ready:");
                });
                assertThat(rows(p)).as("the earlier rows are still there").isGreaterThanOrEqualTo(rowsBeforeStop);
                second.process.destroy();
                assertThat(second.process.waitFor(90, TimeUnit.SECONDS)).isTrue();
                assertThat(second.process.exitValue()).isZero();
            } finally {
                second.process.descendants().forEach(ProcessHandle::destroyForcibly);
                second.process.destroyForcibly();
                second.process.waitFor(30, TimeUnit.SECONDS);
                processesUsing(data.resolve("postgres")).forEach(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void shouldLeaveNoServerBehindWhenKilledAndStopWithinItsTimeoutWhileAWriteIsRetried(@TempDir Path dir)
            throws Exception {
        Ports p = new Ports(FreePorts.pair(), FreePorts.next(), FreePorts.next(), FreePorts.next(), FreePorts.next());
        Path data = dir.resolve("data");
        Path log = repoRoot().resolve("cli").resolve("target").resolve("local-mode-kill.log");
        Files.deleteIfExists(log);
        Path config = dir.resolve("local.yaml");
        Files.writeString(config, """
                collector:
                  http:
                    port: %d
                  synthetic:
                    rate: 200
                    series: 20
                sink:
                  http:
                    port: %d
                  shutdown-timeout: 5s
                  max-backoff: 1s
                exporter:
                  http:
                    port: %d
                """.formatted(p.collector(), p.sink(), p.exporter()));
        Path pgData = data.resolve("postgres");
        try {
            // 1. SIGKILL: the watchdog stops PostgreSQL within seconds
            Running first = startReady(config, data, p, log, dir.resolve("first.out"));
            await().atMost(Duration.ofSeconds(60)).until(() -> rows(p) > 0);
            first.process.destroyForcibly();
            assertThat(first.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(20)).until(() -> processesUsing(pgData).isEmpty());

            // 2. SIGKILL of it and of its watchdog: the next start finds the server and stops it
            Running second = startReady(config, data, p, log, dir.resolve("second.out"));
            long rowsBefore = rows(p);
            List<ProcessHandle> watchdogs = second.process.descendants()
                    .filter(h -> h.info().command().map(c -> c.endsWith("sh")).orElse(false)).toList();
            assertThat(watchdogs).as("the watchdog").isNotEmpty();
            watchdogs.forEach(ProcessHandle::destroyForcibly);
            second.process.destroyForcibly();
            assertThat(second.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(2_000);
            assertThat(processesUsing(pgData)).as("PostgreSQL left running").isNotEmpty();

            Running third = startReady(config, data, p, log, dir.resolve("third.out"));
            assertThat(third.lines()).anyMatch(l -> l.startsWith("[local] stopped PostgreSQL (pid ")
                    && l.contains("left running"));
            assertThat(rows(p)).as("the earlier rows are still there").isGreaterThanOrEqualTo(rowsBefore);

            // 3. SIGTERM while every write of the sink fails and is retried: stopped within
            // sink.shutdown-timeout (5 s) and a few seconds
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + p.postgres()
                    + "/metrics", "postgres", ""); Statement st = c.createStatement()) {
                st.execute("ALTER DATABASE metrics SET default_transaction_read_only = on");
                st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'metrics'"
                        + " AND pid <> pg_backend_pid()");
            }
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> {
                HttpResponse<String> h = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.sink()
                        + "/health")).build(), HttpResponse.BodyHandlers.ofString());
                return h.statusCode() == 503 && h.body().contains("read-only");
            });
            long t0 = System.nanoTime();
            third.process.destroy(); // SIGTERM
            assertThat(third.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            System.out.printf("local mode stopped %d ms after SIGTERM with the sink's writes failing%n",
                    took.toMillis());
            assertThat(took).isLessThan(Duration.ofSeconds(5 + 10));
            await().atMost(Duration.ofSeconds(10)).until(() -> processesUsing(pgData).isEmpty());
        } finally {
            processesUsing(pgData).forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** Starts local mode and waits until it says it is ready; a process that ends first fails the test. */
    private static Running startReady(Path config, Path data, Ports p, Path log, Path out) throws Exception {
        Running r = start(config, data, p, log, out);
        try {
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() -> {
                assertThat(r.process.isAlive()).as("local mode exited early; see " + log).isTrue();
                return r.printed("ready:");
            });
        } catch (RuntimeException | Error e) {
            r.process.descendants().forEach(ProcessHandle::destroyForcibly);
            r.process.destroyForcibly();
            throw e;
        }
        return r;
    }

    /** Processes whose command line names {@code dir} (PostgreSQL's {@code -D dir}). */
    private static List<ProcessHandle> processesUsing(Path dir) {
        String d = dir.toString();
        return ProcessHandle.allProcesses()
                .filter(ph -> ph.info().commandLine().map(c -> c.contains(d)).orElse(false))
                .toList();
    }

    private static long sinkLag(String exporter) throws Exception {
        JsonNode lag = JSON.readTree(get(exporter + "/api/v1/lag"));
        for (JsonNode g : lag.get("groups")) {
            if (g.get("group").asText().equals("metrics-sink")) {
                return g.get("sumLag").asLong();
            }
        }
        return Long.MAX_VALUE;
    }

    /** Sample names, and the names a TYPE line declares (labelled families may have no sample yet). */
    static Set<String> names(String exposition) {
        Set<String> out = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                out.add(parts[2]);
                if (parts[3].equals("histogram")) {
                    out.add(parts[2] + "_bucket");
                    out.add(parts[2] + "_sum");
                    out.add(parts[2] + "_count");
                }
            } else if (!line.isBlank() && !line.startsWith("#")) {
                int end = 0;
                while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                    end++;
                }
                out.add(line.substring(0, end));
            }
        }
        return out;
    }

    /** Metric names in every PromQL expression of the dashboards and the alert rules. */
    static Set<String> usedByDashboardsAndAlerts() throws IOException {
        Set<String> names = new TreeSet<>();
        Path deploy = repoRoot().resolve("deploy");
        List<Path> dashboards;
        try (Stream<Path> s = Files.list(deploy.resolve("grafana").resolve("dashboards"))) {
            dashboards = s.filter(f -> f.toString().endsWith(".json")).toList();
        }
        assertThat(dashboards).isNotEmpty();
        for (Path d : dashboards) {
            collectExpr(JSON.readTree(d.toFile()), names);
        }
        List<String> exprs = new ArrayList<>();
        JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(deploy.resolve("prometheus").resolve("alerts.yml")
                .toFile());
        for (JsonNode g : rules.get("groups")) {
            for (JsonNode r : g.get("rules")) {
                exprs.add(r.get("expr").asText());
            }
        }
        assertThat(exprs).isNotEmpty();
        exprs.forEach(e -> names.addAll(PromQlNames.of(e)));
        return names;
    }

    private static void collectExpr(JsonNode n, Set<String> names) {
        if (n.isObject()) {
            JsonNode ds = n.get("datasource");
            boolean sql = ds != null && ds.isObject() && ds.path("type").asText().contains("postgres");
            if (n.has("expr") && n.get("expr").isTextual() && !sql) {
                names.addAll(PromQlNames.of(n.get("expr").asText()));
            }
            n.fields().forEachRemaining(e -> collectExpr(e.getValue(), names));
        } else if (n.isArray()) {
            n.forEach(c -> collectExpr(c, names));
        }
    }
}
