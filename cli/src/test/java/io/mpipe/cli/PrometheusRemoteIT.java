package io.mpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.mpipe.collector.CollectorApp;
import io.mpipe.collector.CollectorConfig;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.prompb.Remote;
import io.mpipe.common.prompb.Types;
import io.mpipe.embedded.EmbeddedKafka;
import io.mpipe.embedded.FreePorts;
import io.mpipe.exporter.ExporterApp;
import io.mpipe.exporter.ExporterConfig;
import io.mpipe.sink.SinkApp;
import io.mpipe.sink.SinkConfig;
import io.mpipe.testsupport.TestData;
import io.mpipe.testsupport.TestDatabase;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.mpipe.testsupport.WithPostgres;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

/**
 * The pipeline as the place a real Prometheus (Debian's {@code prometheus} binary) writes to and
 * reads history from: remote write exactly once across a broker stop, 400 for malformed bodies,
 * and PromQL over a replayed series through remote read equal to the same aggregate in SQL.
 */
@WithKafka
@WithPostgres
class PrometheusRemoteIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void shouldStoreEverySamplePrometheusRemoteWritesExactlyOnceAcrossABrokerStop(TestDatabase db,
            @TempDir Path dir) throws Exception {
        // a target whose values change on every scrape
        AtomicLong scrapes = new AtomicLong();
        AtomicBoolean serving = new AtomicBoolean(true);
        HttpServer target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        target.createContext("/metrics", ex -> {
            if (!serving.get()) {
                ex.sendResponseHeaders(503, -1);
                ex.close();
                return;
            }
            long n = scrapes.incrementAndGet();
            String body = "# TYPE rw_scrapes_total counter\nrw_scrapes_total " + n + "\n"
                    + "# TYPE rw_level gauge\n"
                    + "rw_level{k=\"a\"} " + (n * 1.5) + "\n"
                    + "rw_level{k=\"b\"} " + (1000.0 / n) + "\n"
                    + "rw_level{k=\"c\",path=\"/x y\"} " + (n % 7 - 3.25) + "\n";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        target.start();
        EmbeddedKafka broker = EmbeddedKafka.create(dir.resolve("kafka"), 0, Map.of());
        broker.start();
        int collectorPort = FreePorts.next();
        String yaml = """
                kafka:
                  bootstrap-servers: %s
                  topic: rw-metrics
                  topic-partitions: 3
                postgres:
                  url: %s
                  user: %s
                collector:
                  http:
                    port: %d
                  producer:
                    max-block: 1s
                  remote-write:
                    enabled: true
                    ack-timeout: 2s
                sink:
                  group: rw-sink
                  http:
                    port: 0
                """.formatted(broker.bootstrapServers(), db.jdbcUrl(), db.user(), collectorPort);
        CollectorRegistry collectorRegistry = new CollectorRegistry();
        Prometheus prometheus = null;
        try (CollectorApp collector = CollectorApp.start(CollectorConfig.load(ConfigSource.parse(yaml, Map.of())),
                collectorRegistry);
                SinkApp sink = SinkApp.start(SinkConfig.load(ConfigSource.parse(yaml, Map.of())),
                        new CollectorRegistry())) {
            prometheus = Prometheus.start(dir.resolve("prometheus"), """
                    global:
                      scrape_interval: 1s
                    scrape_configs:
                      - job_name: rw
                        static_configs:
                          - targets: ['127.0.0.1:%d']
                    remote_write:
                      - url: http://127.0.0.1:%d/api/v1/write
                        queue_config:
                          batch_send_deadline: 1s
                          min_backoff: 200ms
                          max_backoff: 2s
                    """.formatted(target.getAddress().getPort(), collectorPort));
            await("rows from Prometheus").atMost(Duration.ofSeconds(60)).until(() ->
                    db.queryLong("SELECT count(*) FROM metrics WHERE name LIKE 'rw_%'") >= 20);
            Thread.sleep(5_000);

            broker.stop();
            System.out.println("[remote-write] broker stopped after " + scrapes.get() + " scrapes");
            Thread.sleep(10_000);
            broker.start();
            System.out.println("[remote-write] broker back after " + scrapes.get() + " scrapes");
            Thread.sleep(10_000);
            serving.set(false); // the rw_ series end here
            Thread.sleep(2_000); // a scrape answered just before is counted by now
            long lastScrapes = scrapes.get();

            // every raw sample Prometheus holds of the rw_ series, then the same from PostgreSQL
            Prometheus p = prometheus;
            TreeSet<String> fromPrometheus = new TreeSet<>();
            await("Prometheus's samples of the last scrape").atMost(Duration.ofSeconds(30)).until(() -> {
                fromPrometheus.clear();
                fromPrometheus.addAll(p.rawSamples("{__name__=~\"rw_.*\"}[10m]"));
                return fromPrometheus.size() == 4 * lastScrapes;
            });
            TreeSet<String> stored = new TreeSet<>();
            await("PostgreSQL holds what Prometheus wrote").atMost(Duration.ofSeconds(90)).until(() -> {
                stored.clear();
                stored.addAll(rows(db));
                return stored.size() >= fromPrometheus.size();
            });
            double retried = collectorRegistry.getSampleValue("collector_remote_write_requests_total",
                    new String[] {"status"}, new String[] {"503"});
            long rowsInTable = db.queryLong("SELECT count(*) FROM metrics WHERE name LIKE 'rw_%'");
            System.out.printf("[remote-write] %d scrapes, %d samples in Prometheus, %d rows in PostgreSQL, %.0f requests"
                    + " answered 503 while the broker was away (Prometheus sent them again)%n", lastScrapes,
                    fromPrometheus.size(), rowsInTable, retried);
            assertThat(stored).as("every sample Prometheus wrote, with its value and timestamp, and nothing else")
                    .isEqualTo(fromPrometheus);
            assertThat(rowsInTable).as("each once").isEqualTo(fromPrometheus.size());
            assertThat(retried).as("requests refused while the broker was away").isPositive();
        } finally {
            if (prometheus != null) {
                prometheus.close();
            }
            broker.close();
            target.stop(0);
        }
    }

    @Test
    void shouldRefuseMalformedRemoteWritesWith400AndProduceNothing(TestKafka kafka, TestDatabase db) throws Exception {
        String topic = kafka.newTopic("rw-bad", 1);
        int port = FreePorts.next();
        String yaml = """
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                collector:
                  http:
                    port: %d
                  remote-write:
                    enabled: true
                """.formatted(kafka.bootstrapServers(), topic, port);
        CollectorRegistry registry = new CollectorRegistry();
        try (CollectorApp collector = CollectorApp.start(CollectorConfig.load(ConfigSource.parse(yaml, Map.of())),
                registry)) {
            String url = "http://127.0.0.1:" + port + "/api/v1/write";
            Map<String, byte[]> bodies = new TreeMap<>();
            bodies.put("not snappy", "this is not snappy at all".getBytes(StandardCharsets.UTF_8));
            bodies.put("snappy, not protobuf", Snappy.compress(new byte[] {(byte) 0xff, (byte) 0xff, 0x01, 0x02}));
            bodies.put("a label name breaking the rules", write(series("ok_name", 1.0, "bad-label", "x")));
            bodies.put("an empty name", write(series("", 1.0, "job", "x")));
            bodies.put("no name", write(Types.TimeSeries.newBuilder()
                    .addLabels(label("job", "x")).addSamples(sample(1.0)).build()));
            bodies.put("a name breaking the rules", write(series("1bad", 1.0, "job", "x")));
            bodies.put("unsorted labels", write(Types.TimeSeries.newBuilder().addLabels(label("__name__", "ok"))
                    .addLabels(label("b", "1")).addLabels(label("a", "2")).addSamples(sample(1.0)).build()));
            bodies.put("a good series beside a bad one", write(series("good_one", 1.0, "job", "x"),
                    series("bad one", 2.0, "job", "x")));
            for (Map.Entry<String, byte[]> e : bodies.entrySet()) {
                HttpResponse<String> r = post(url, e.getValue());
                System.out.println("[remote-write] " + e.getKey() + ": " + r.statusCode() + " " + r.body());
                assertThat(r.statusCode()).as(e.getKey()).isEqualTo(400);
                assertThat(r.body()).as(e.getKey()).contains("\"error\"");
            }
            HttpResponse<String> v2 = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request")
                    .header("Content-Encoding", "snappy")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(write(series("good_one", 1.0, "job", "x")))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(v2.statusCode()).as("remote write 2.0 is refused, so the sender falls back to 1.0").isEqualTo(415);
            assertThat(post(url, write(series("good_one", 1.0, "job", "x"))).statusCode()).isEqualTo(204);
            assertThat(registry.getSampleValue("collector_remote_write_samples_total"))
                    .as("only the good request's sample was produced").isEqualTo(1.0);
            assertThat(kafka.recordsIn(topic, 1)).as("records on the topic").isEqualTo(1);
            assertThat(registry.getSampleValue("collector_remote_write_requests_total", new String[] {"status"},
                    new String[] {"400"})).isEqualTo(bodies.size());
        }
    }

    @Test
    void shouldAnswerPromqlOverAReplayedSeriesThroughRemoteReadAsSqlDoes(TestKafka kafka, TestDatabase db,
            @TempDir Path dir) throws Exception {
        // a NAB series (5-minute samples over two weeks) moved to end three weeks ago, 17 s past the
        // minute so that no sample sits on an hour's edge
        List<Metric> series = new ArrayList<>();
        DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
        List<String> lines = Files.readAllLines(TestData.dir("nab").resolve("ec2_cpu_utilization_24ae8d.csv"));
        long lastNab = LocalDateTime.parse(lines.get(lines.size() - 1).split(",")[0], f).toInstant(ZoneOffset.UTC)
                .toEpochMilli();
        long end = (System.currentTimeMillis() - Duration.ofDays(21).toMillis()) / 3_600_000 * 3_600_000 + 17_000;
        Labels labels = Labels.of("host", "i-24ae8d");
        for (String line : lines.subList(1, lines.size())) {
            String[] p = line.split(",");
            long ts = LocalDateTime.parse(p[0], f).toInstant(ZoneOffset.UTC).toEpochMilli() - lastNab + end;
            series.add(new Metric("nab_cpu_utilization", ts, Double.parseDouble(p[1]), labels));
        }
        String topic = kafka.newTopic("rr-nab", 2);
        int exporterPort = FreePorts.next();
        String yaml = """
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                  dlq-topic: %s.dlq
                postgres:
                  url: %s
                  user: %s
                sink:
                  group: %s
                  retention: 3650d
                  http:
                    port: 0
                exporter:
                  application-id: %s
                  state-dir: %s
                  http:
                    port: %d
                  history:
                    enabled: true
                lag:
                  enabled: false
                """.formatted(kafka.bootstrapServers(), topic, topic, db.jdbcUrl(), db.user(), kafka.newGroup("sink"),
                kafka.newGroup("exporter"), dir.resolve("state"), exporterPort);
        Prometheus prometheus = null;
        try (SinkApp sink = SinkApp.start(SinkConfig.load(ConfigSource.parse(yaml, Map.of())), new CollectorRegistry());
                ExporterApp exporter = ExporterApp.start(ExporterConfig.load(ConfigSource.parse(yaml, Map.of())),
                        new CollectorRegistry())) {
            Metrics.produce(kafka, topic, series);
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    db.queryLong("SELECT count(*) FROM metrics") == series.size() && exporter.isReady());
            prometheus = Prometheus.start(dir.resolve("prometheus"), """
                    global:
                      scrape_interval: 1m
                    remote_read:
                      - url: http://127.0.0.1:%d/api/v1/read
                        read_recent: true
                    """.formatted(exporterPort));
            long first = series.get(0).timestamp();
            long start = (first / 3_600_000 + 2) * 3_600_000;
            long stop = end / 3_600_000 * 3_600_000;
            for (String fn : List.of("avg_over_time", "max_over_time")) {
                Map<Long, Double> promql = prometheus.rangeQuery(fn + "(nab_cpu_utilization{host=\"i-24ae8d\"}[1h])",
                        start, stop, 3_600);
                Map<Long, Double> sql = sqlHourly(db, fn.startsWith("avg") ? "avg" : "max", start, stop);
                System.out.printf("[remote-read] %s over %d hourly steps: Prometheus %d values, SQL %d%n", fn,
                        (stop - start) / 3_600_000 + 1, promql.size(), sql.size());
                assertThat(promql.keySet()).as(fn + ": the steps").isEqualTo(sql.keySet());
                assertThat(promql.size()).isGreaterThan(300);
                for (Map.Entry<Long, Double> e : sql.entrySet()) {
                    assertThat(promql.get(e.getKey())).as(fn + " at " + Instant.ofEpochMilli(e.getKey()))
                            .isCloseTo(e.getValue(), within(1e-9 * Math.max(1, Math.abs(e.getValue()))));
                }
            }
            // a matcher the index cannot answer alone is refused with the reason, not a scan
            HttpResponse<String> refused = post("http://127.0.0.1:" + exporterPort + "/api/v1/read",
                    Snappy.compress(Remote.ReadRequest.newBuilder().addQueries(Remote.Query.newBuilder()
                            .setStartTimestampMs(start).setEndTimestampMs(stop)
                            .addMatchers(Types.LabelMatcher.newBuilder().setType(Types.LabelMatcher.Type.RE)
                                    .setName("__name__").setValue("nab.*"))).build().toByteArray()));
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.body()).contains("needs a matcher");
        } finally {
            if (prometheus != null) {
                prometheus.close();
            }
        }
    }

    /** The same aggregate in SQL: over the samples in [t - 1h, t] for each hourly step t, as Prometheus 2's range selectors. */
    private static Map<Long, Double> sqlHourly(TestDatabase db, String fn, long start, long stop) throws Exception {
        Map<Long, Double> out = new TreeMap<>();
        String sql = "SELECT extract(epoch FROM t.step) * 1000, (SELECT " + fn + "(value) FROM metrics m"
                + " WHERE m.name = 'nab_cpu_utilization' AND m.ts >= t.step - interval '1 hour' AND m.ts <= t.step)"
                + " FROM generate_series(to_timestamp(? / 1000.0), to_timestamp(? / 1000.0), interval '1 hour') AS t(step)";
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, start);
            ps.setLong(2, stop);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    double v = rs.getDouble(2);
                    if (!rs.wasNull()) {
                        out.put(Math.round(rs.getDouble(1)), v);
                    }
                }
            }
        }
        return out;
    }

    /** Every rw_ row: "name labels ts value", as {@link Prometheus#rawSamples} writes it. */
    private static List<String> rows(TestDatabase db) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT name, labels::text, (extract(epoch FROM ts) * 1000)::bigint, value FROM metrics"
                                + " WHERE name LIKE 'rw_%'");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Map<String, String> labels = new TreeMap<>(JSON.readValue(rs.getString(2),
                        new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() { }));
                out.add(sampleLine(rs.getString(1), labels, rs.getLong(3), rs.getDouble(4)));
            }
        }
        return out;
    }

    static String sampleLine(String name, Map<String, String> labels, long ts, double value) {
        return name + new TreeMap<>(labels) + " " + ts + " " + Double.toString(value);
    }

    private static Types.Label label(String name, String value) {
        return Types.Label.newBuilder().setName(name).setValue(value).build();
    }

    private static Types.Sample sample(double v) {
        return Types.Sample.newBuilder().setValue(v).setTimestamp(System.currentTimeMillis()).build();
    }

    private static Types.TimeSeries series(String name, double v, String labelName, String labelValue) {
        Types.TimeSeries.Builder b = Types.TimeSeries.newBuilder().addLabels(label("__name__", name));
        if (labelName.compareTo("__name__") < 0) {
            b = Types.TimeSeries.newBuilder().addLabels(label(labelName, labelValue)).addLabels(label("__name__", name));
        } else {
            b.addLabels(label(labelName, labelValue));
        }
        return b.addSamples(sample(v)).build();
    }

    private static byte[] write(Types.TimeSeries... series) throws IOException {
        Remote.WriteRequest.Builder b = Remote.WriteRequest.newBuilder();
        for (Types.TimeSeries s : series) {
            b.addTimeseries(s);
        }
        return Snappy.compress(b.build().toByteArray());
    }

    static HttpResponse<String> post(String url, byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-protobuf").header("Content-Encoding", "snappy")
                .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Debian's prometheus on a free port of 127.0.0.1, with a TSDB of its own. */
    static final class Prometheus implements AutoCloseable {
        private final Process process;
        private final String base;

        private Prometheus(Process process, String base) {
            this.process = process;
            this.base = base;
        }

        static Prometheus start(Path dir, String config) throws Exception {
            Files.createDirectories(dir);
            Path file = dir.resolve("prometheus.yml");
            Files.writeString(file, config);
            int port = FreePorts.next();
            Process p = new ProcessBuilder("prometheus", "--config.file=" + file, "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            Prometheus prometheus = new Prometheus(p, "http://127.0.0.1:" + port);
            await("Prometheus ready").atMost(Duration.ofSeconds(30)).until(() -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("prometheus exited: " + Files.readString(dir.resolve("prometheus.log")));
                }
                try {
                    return HTTP.send(HttpRequest.newBuilder(URI.create(prometheus.base + "/-/ready")).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
            return prometheus;
        }

        private JsonNode get(String path) throws Exception {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode n = JSON.readTree(r.body());
            if (r.statusCode() != 200 || !"success".equals(n.path("status").asText())) {
                throw new IllegalStateException(path + ": " + r.statusCode() + " " + r.body());
            }
            return n.get("data");
        }

        /** Raw samples of a range-vector selector at now, each "name labels ts value" (labels without __name__). */
        List<String> rawSamples(String selector) throws Exception {
            List<String> out = new ArrayList<>();
            JsonNode data = get("/api/v1/query?query=" + URLEncoder.encode(selector, StandardCharsets.UTF_8));
            for (JsonNode s : data.get("result")) {
                Map<String, String> labels = new TreeMap<>();
                s.get("metric").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
                String name = labels.remove("__name__");
                for (JsonNode v : s.get("values")) {
                    long ts = Math.round(v.get(0).asDouble() * 1000);
                    out.add(sampleLine(name, labels, ts, Double.parseDouble(v.get(1).asText())));
                }
            }
            return out;
        }

        /** query_range of a single-series expression: step start (ms) to value. */
        Map<Long, Double> rangeQuery(String expr, long startMs, long endMs, int stepSeconds) throws Exception {
            JsonNode data = get("/api/v1/query_range?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8)
                    + "&start=" + startMs / 1000 + "&end=" + endMs / 1000 + "&step=" + stepSeconds);
            Map<Long, Double> out = new TreeMap<>();
            JsonNode result = data.get("result");
            if (result.size() > 1) {
                throw new IllegalStateException(expr + ": " + result.size() + " series");
            }
            for (JsonNode s : result) {
                for (JsonNode v : s.get("values")) {
                    out.put(Math.round(v.get(0).asDouble() * 1000), Double.parseDouble(v.get(1).asText()));
                }
            }
            return out;
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
