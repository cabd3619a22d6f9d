package io.mpipe.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.common.http.TlsMaterial;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.embedded.FreePorts;
import io.mpipe.testsupport.TestCerts;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.prometheus.client.CollectorRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two exporter instances over TLS with basic auth: any instance answers for both (they ask each
 * other over https with the peer token), their internal routes take nothing but that token, and
 * Debian's Prometheus scrapes one over TLS with basic auth, the target up.
 */
@WithKafka
class ExporterSecurityIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PASSWORD = "correct horse battery staple";

    private static String users(Path dir) throws Exception {
        Process p = new ProcessBuilder("htpasswd", "-nbB", "alice", PASSWORD).start();
        String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("htpasswd (Debian's apache2-utils)").isZero();
        return Files.writeString(dir.resolve("users"), line + "\n").toString();
    }

    private static HttpResponse<String> get(HttpClient http, String url, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldAnswerForBothInstancesOverTlsWithCredentialsAndBeScrapedByPrometheus(TestKafka kafka,
            @TempDir Path dir) throws Exception {
        TestCerts certs = TestCerts.newCa(dir.resolve("certs"), "test-ca");
        TestCerts.Issued server = certs.server("exporter");
        String users = users(dir);
        Path token = Files.writeString(dir.resolve("peer-token"), "peer-token-" + System.nanoTime() + "-abcdef\n");
        String topic = kafka.newTopic("exp-secure", 4);
        String app = kafka.newGroup("exporter");
        java.util.function.Function<String, ExporterConfig> config = state -> ExporterConfig.load(
                io.mpipe.common.config.ConfigSource.parse("""
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                exporter:
                  application-id: %s
                  state-dir: %s
                  peer-token-file: %s
                  http:
                    port: 0
                    tls:
                      cert-file: %s
                      key-file: %s
                    auth:
                      basic-users-file: %s
                """.formatted(kafka.bootstrapServers(), topic, app, dir.resolve(state), token, server.cert(),
                        server.key(), users), Map.of()));
        SSLContext trust = SSLContext.getInstance("TLS");
        trust.init(null, new TrustManager[] {TlsMaterial.trustManager(certs.ca().cert())}, null);
        HttpClient http = HttpClient.newBuilder().sslContext(trust).build();
        String basic = "Basic " + Base64.getEncoder().encodeToString(("alice:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        long now = System.currentTimeMillis();
        try (ExporterApp a = ExporterApp.start(config.apply("a"), new CollectorRegistry());
                ExporterApp b = ExporterApp.start(config.apply("b"), new CollectorRegistry())) {
            assertThat(a.httpBaseUrl()).startsWith("https://");
            await().atMost(Duration.ofSeconds(60)).until(() -> a.isReady() && b.isReady()
                    && a.streams().metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum() == 2
                    && b.streams().metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum() == 2);
            List<Metric> sent = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                sent.add(new Metric("secure_gauge", now - 1_000, i, Labels.of("i", Integer.toString(i))));
            }
            ExporterFixtures.produce(kafka.bootstrapServers(), topic, sent);
            await().atMost(Duration.ofSeconds(30)).until(() -> a.pool().sampleCount() + b.pool().sampleCount() == 100);
            assertThat(a.pool().seriesCount()).isPositive().isLessThan(100);

            String q = "/api/v1/metrics?name=secure_gauge&limit=1000";
            assertThat(get(http, a.httpBaseUrl() + q, null).statusCode()).isEqualTo(401);
            HttpResponse<String> answer = get(http, a.httpBaseUrl() + q, basic);
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(answer.body()).get("count").asInt()).as("both instances' series, over https")
                    .isEqualTo(100);
            String internal = b.httpBaseUrl() + "/api/v1/internal/metrics?name=secure_gauge";
            assertThat(get(http, internal, basic).statusCode()).as("a user is not a peer").isEqualTo(401);
            assertThat(get(http, internal, "Bearer " + Files.readString(token).strip()).statusCode()).isEqualTo(200);
            assertThat(get(http, a.httpBaseUrl() + "/ready", null).statusCode()).as("open for probes").isEqualTo(200);

            scrapedByPrometheus(dir, certs, a.httpBaseUrl());
        }
    }

    /** Debian's prometheus, from a config made here, scrapes the exporter over TLS with basic auth. */
    private static void scrapedByPrometheus(Path dir, TestCerts certs, String target) throws Exception {
        int port = FreePorts.next();
        Path config = Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: exporter
                    scheme: https
                    tls_config:
                      ca_file: %s
                    basic_auth:
                      username: alice
                      password: %s
                    static_configs:
                      - targets: ['%s']
                """.formatted(certs.ca().cert(), PASSWORD, URI.create(target).getAuthority()));
        Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        try {
            HttpClient plain = HttpClient.newHttpClient();
            String[] last = {""};
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
                assertThat(prometheus.isAlive()).as("prometheus exited: %s",
                        Files.readString(dir.resolve("prometheus.log"))).isTrue();
                try {
                    last[0] = get(plain, "http://127.0.0.1:" + port + "/api/v1/targets", null).body();
                } catch (java.io.IOException e) {
                    return false;
                }
                JsonNode t = JSON.readTree(last[0]).path("data").path("activeTargets");
                return t.size() == 1 && t.get(0).path("health").asText().equals("up");
            });
            JsonNode t = JSON.readTree(last[0]).path("data").path("activeTargets").get(0);
            assertThat(t.path("scrapeUrl").asText()).startsWith("https://");
            assertThat(t.path("lastError").asText()).isEmpty();
        } finally {
            prometheus.destroy();
            if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
    }
}
