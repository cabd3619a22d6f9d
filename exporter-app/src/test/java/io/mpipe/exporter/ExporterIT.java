package io.mpipe.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.common.http.SelfMetrics;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.WireFormat;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.prometheus.client.CollectorRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@WithKafka
class ExporterIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<Metric> series(String name, int n, long ts) {
        List<Metric> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Metric(name, ts, i, Labels.of("account", "0.0." + (1000 + i), "network", "testnet")));
        }
        return out;
    }

    @Test
    void shouldGiveTheSameFullAnswerFromEitherOfTwoInstances(TestKafka kafka, @TempDir Path dir) throws Exception {
        String topic = kafka.newTopic("exp-two", 4);
        String app = kafka.newGroup("exporter");
        long now = System.currentTimeMillis();
        try (ExporterApp a = ExporterApp.start(ExporterFixtures.config(kafka.bootstrapServers(), topic, app,
                dir.resolve("a"), null, Map.of()), SelfMetrics.newRegistryWithJvmMetrics());
                ExporterApp b = ExporterApp.start(ExporterFixtures.config(kafka.bootstrapServers(), topic, app,
                        dir.resolve("b"), null, Map.of()), new CollectorRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> a.isReady() && b.isReady()
                    && a.streams().metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum() == 2
                    && b.streams().metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum() == 2);
            List<Metric> sent = new ArrayList<>(series("hedera_account_balance_tinybars", 200, now - 1000));
            sent.addAll(series("hedera_account_balance_tinybars", 200, now));
            ExporterFixtures.produce(kafka.bootstrapServers(), topic, sent);
            await().atMost(Duration.ofSeconds(30)).until(() -> a.pool().sampleCount() + b.pool().sampleCount() == 400);
            assertThat(a.pool().seriesCount()).isPositive().isLessThan(200);
            assertThat(b.pool().seriesCount()).isEqualTo(200 - a.pool().seriesCount());

            String q = "/api/v1/metrics?name=hedera_account_balance_tinybars&limit=1000";
            HttpResponse<String> ra = ExporterFixtures.get(a.httpBaseUrl() + q);
            HttpResponse<String> rb = ExporterFixtures.get(b.httpBaseUrl() + q);
            assertThat(ra.statusCode()).isEqualTo(200);
            assertThat(rb.body()).isEqualTo(ra.body());
            JsonNode body = JSON.readTree(ra.body());
            assertThat(body.get("tier").asText()).isEqualTo("memory");
            assertThat(body.get("count").asInt()).isEqualTo(400);
            assertThat(body.get("metrics").get(0).get("timestamp").asLong()).isEqualTo(now); // newest first

            // the default limit, and a label lookup through the other instance
            assertThat(JSON.readTree(ExporterFixtures.get(b.httpBaseUrl()
                    + "/api/v1/metrics?name=hedera_account_balance_tinybars").body()).get("count").asInt()).isEqualTo(100);
            JsonNode acct = JSON.readTree(ExporterFixtures.get(b.httpBaseUrl()
                    + "/api/v1/metrics/account?key=account&value=0.0.1007").body());
            assertThat(acct.get("count").asInt()).isEqualTo(2);
            assertThat(acct.get("metrics").get(0).get("labels").get("account").asText()).isEqualTo("0.0.1007");
            assertThat(acct.get("metrics").get(0).get("value").asDouble()).isEqualTo(7.0);

            JsonNode stats = JSON.readTree(ExporterFixtures.get(a.httpBaseUrl() + "/api/v1/storage/stats").body());
            assertThat(stats.get("metric_count").asLong()).isEqualTo(200);
            assertThat(stats.get("max_size").asLong()).isEqualTo(200_000);
            assertThat(stats.get("instances").asInt()).isEqualTo(2);
            assertThat(stats.get("utilization").asDouble()).isEqualTo(200 / 200_000.0);

            // each instance exports only its own partitions' series
            String ma = ExporterFixtures.get(a.httpBaseUrl() + "/metrics").body();
            String mb = ExporterFixtures.get(b.httpBaseUrl() + "/metrics").body();
            long la = ma.lines().filter(l -> l.startsWith("hedera_account_balance_tinybars{")).count();
            long lb = mb.lines().filter(l -> l.startsWith("hedera_account_balance_tinybars{")).count();
            assertThat(la + lb).isEqualTo(200);
            assertThat(la).isEqualTo(a.pool().seriesCount());
            Path out = Path.of("target", "exposition");
            Files.createDirectories(out);
            Files.writeString(out.resolve("exporter.prom"), ma);
        }
    }

    @Test
    void shouldSayWhichPartitionsAnAnswerLacksWhileAnInstanceCannotBeReached(TestKafka kafka, @TempDir Path dir)
            throws Exception {
        String topic = kafka.newTopic("exp-partial", 4);
        String app = kafka.newGroup("exporter");
        long now = System.currentTimeMillis();
        int nobody = io.mpipe.embedded.FreePorts.next(); // b tells the others a port nothing listens on
        try (ExporterApp a = ExporterApp.start(ExporterFixtures.config(kafka.bootstrapServers(), topic, app,
                dir.resolve("a"), null, Map.of()), new CollectorRegistry());
                ExporterApp b = ExporterApp.start(ExporterFixtures.config(kafka.bootstrapServers(), topic, app,
                        dir.resolve("b"), "  advertised-url: http://127.0.0.1:" + nobody, Map.of()),
                        new CollectorRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> a.isReady() && b.isReady()
                    && a.streams().metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum() == 2
                    && b.streams().metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum() == 2);
            List<Metric> sent = series("partial_answer", 100, now);
            ExporterFixtures.produce(kafka.bootstrapServers(), topic, sent);
            await().atMost(Duration.ofSeconds(30)).until(() -> a.pool().sampleCount() + b.pool().sampleCount() == 100);

            String q = "/api/v1/metrics?name=partial_answer&limit=1000";
            for (int i = 0; i < 2; i++) { // asked once, then answered without waiting for it again
                JsonNode body = JSON.readTree(ExporterFixtures.get(a.httpBaseUrl() + q).body());
                assertThat(body.get("partial").asBoolean()).isTrue();
                assertThat(body.get("count").asInt()).isEqualTo(a.pool().seriesCount());
                List<Integer> missing = new ArrayList<>();
                body.get("missing_partitions").forEach(p -> missing.add(p.asInt()));
                List<Integer> heldByB = b.streams().metadataForLocalThreads().stream()
                        .flatMap(t -> t.activeTasks().stream()).flatMap(t -> t.topicPartitions().stream())
                        .map(org.apache.kafka.common.TopicPartition::partition).sorted().toList();
                assertThat(missing).isEqualTo(heldByB);
                assertThat(body.get("unreachable").get(0).asText()).isEqualTo("127.0.0.1:" + nobody);
            }
            // b reaches a: its answer is whole, and says so
            JsonNode whole = JSON.readTree(ExporterFixtures.get(b.httpBaseUrl() + q).body());
            assertThat(whole.get("partial").asBoolean()).isFalse();
            assertThat(whole.has("missing_partitions")).isFalse();
            assertThat(whole.get("count").asInt()).isEqualTo(100);
        }
    }

    @Test
    void shouldAnswerBadParametersWith400(TestKafka kafka, @TempDir Path dir) throws Exception {
        String topic = kafka.newTopic("exp-bad", 1);
        try (ExporterApp a = ExporterApp.start(ExporterFixtures.config(kafka.bootstrapServers(), topic,
                kafka.newGroup("exporter"), dir, null, Map.of()), new CollectorRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(a::isReady);
            for (String bad : List.of("/api/v1/metrics", "/api/v1/metrics?name=bad-name", "/api/v1/metrics?name=x&limit=0",
                    "/api/v1/metrics?name=x&limit=10001", "/api/v1/metrics?name=x&from=yesterday",
                    "/api/v1/metrics?label=9x=1", "/api/v1/metrics/account?value=1",
                    "/api/v1/metrics/account?key=a%20b&value=1")) {
                HttpResponse<String> r = ExporterFixtures.get(a.httpBaseUrl() + bad);
                assertThat(r.statusCode()).as(bad).isEqualTo(400);
                assertThat(JSON.readTree(r.body()).get("error").asText()).as(bad).isNotBlank();
            }
            assertThat(ExporterFixtures.get(a.httpBaseUrl() + "/ready").statusCode()).isEqualTo(200);
            assertThat(ExporterFixtures.get(a.httpBaseUrl() + "/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void shouldHaveItsRecentDataBackAfterARestartBeforeReportingReady(TestKafka kafka, @TempDir Path dir)
            throws Exception {
        String topic = kafka.newTopic("exp-restart", 2);
        String app = kafka.newGroup("exporter");
        long now = System.currentTimeMillis();
        List<Metric> sent = new ArrayList<>();
        for (int k = 0; k < 5; k++) {
            sent.addAll(series("restart_metric", 50, now - 60_000 + k * 1000));
        }
        ExporterFixtures.produce(kafka.bootstrapServers(), topic, sent);
        ExporterConfig config = ExporterFixtures.config(kafka.bootstrapServers(), topic, app, dir, null, Map.of());
        try (ExporterApp a = ExporterApp.start(config, new CollectorRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> a.isReady() && a.pool().sampleCount() == 250);
        }
        try (ExporterApp b = ExporterApp.start(config, new CollectorRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(b::isReady);
            // ready means rebuilt: no new record was produced since the restart
            assertThat(b.pool().sampleCount()).isEqualTo(250);
            assertThat(b.pool().seriesCount()).isEqualTo(50);
            JsonNode r = JSON.readTree(ExporterFixtures.get(b.httpBaseUrl()
                    + "/api/v1/metrics?name=restart_metric&label=account=0.0.1003").body());
            assertThat(r.get("count").asInt()).isEqualTo(5);
        }
    }

    @Test
    void shouldStayWithinMaxSeriesAndItsHeapBoundUnderAMillionDistinctSeries(TestKafka kafka, @TempDir Path dir)
            throws Exception {
        String topic = kafka.newTopic("exp-flood", 4);
        int maxSeries = 50_000;
        ExporterConfig config = ExporterFixtures.config(kafka.bootstrapServers(), topic, kafka.newGroup("exporter"), dir,
                "  max-series: " + maxSeries, Map.of());
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        CollectorRegistry registry = new CollectorRegistry();
        try (ExporterApp a = ExporterApp.start(config, registry)) {
            await().atMost(Duration.ofSeconds(60)).until(a::isReady);
            System.gc();
            long heapBefore = mem.getHeapMemoryUsage().getUsed();
            long now = System.currentTimeMillis();
            int total = 1_000_000;
            try (KafkaProducer<byte[], byte[]> p = ExporterFixtures.producer(kafka.bootstrapServers())) {
                for (int i = 0; i < total; i++) {
                    p.send(WireFormat.record(topic, new Metric("flood_gauge", now, i,
                            Labels.of("series", Integer.toString(i), "host", "h" + (i % 100)))));
                }
                p.flush();
            }
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                    .until(() -> registry.getSampleValue("exporter_records_processed_total") >= total);
            assertThat(a.pool().seriesCount()).isEqualTo(maxSeries);
            assertThat(a.pool().stats().evictions()).isEqualTo(total - maxSeries);
            assertThat(registry.getSampleValue("exporter_store_evictions_total")).isEqualTo(total - maxSeries);
            // stated bound: about 400 bytes a series with one sample (key, labels, window, map entry)
            assertThat(a.pool().approximateBytes()).isLessThan(maxSeries * 400L);
            System.gc();
            long heapAfter = mem.getHeapMemoryUsage().getUsed();
            System.out.printf("heap growth after a million series: %,d bytes%n", heapAfter - heapBefore);
            // alone this run grows the heap by about 124 MB (the store, and four partition tasks' decoder
            // tables with the windows of evicted series they still point at); the broker and the clients of
            // the tests before it share this JVM and added up to 10 MB more in a full run. An unbounded store
            // of a million series would take several hundred MB.
            assertThat(heapAfter - heapBefore).as("heap growth after a million series").isLessThan(144L << 20);
        }
    }
}
