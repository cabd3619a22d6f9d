package io.mpipe.common.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.HttpSettings;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ServiceHttpServerTest {
    private final HttpClient client = HttpClient.newHttpClient();

    private HttpResponse<String> get(ServiceHttpServer s, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldServeMetricsHealthAndRoutesOnAFreePort() throws Exception {
        CollectorRegistry registry = SelfMetrics.newRegistryWithJvmMetrics();
        Counter c = Counter.build("test_things_total", "things").register(registry);
        c.inc(3);
        AtomicBoolean up = new AtomicBoolean(true);
        try (ServiceHttpServer s = new ServiceHttpServer("test", new HttpSettings("127.0.0.1", 0), registry,
                () -> up.get() ? Health.up(Map.of("db", "ok")) : Health.down(Map.of("db", "unreachable")))) {
            s.route("/api/echo", ex -> {
                String v = QueryString.of(ex.getRequestURI()).get("v");
                if (v == null) {
                    throw HttpError.badRequest("v: is required");
                }
                return Map.of("v", v);
            });
            s.route("/api/busy", ex -> {
                throw HttpError.unavailable("rebalancing", 2);
            });
            s.start();
            assertThat(s.port()).isPositive();

            HttpResponse<String> metrics = get(s, "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("test_things_total 3.0").contains("jvm_memory_bytes_used");

            assertThat(get(s, "/health").body()).contains("\"status\":\"UP\"");
            up.set(false);
            HttpResponse<String> down = get(s, "/health");
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).contains("\"status\":\"DOWN\"").contains("unreachable");

            assertThat(get(s, "/api/echo?v=a%20b").body()).isEqualTo("{\"v\":\"a b\"}");
            HttpResponse<String> bad = get(s, "/api/echo");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).isEqualTo("{\"error\":\"v: is required\"}");
            HttpResponse<String> busy = get(s, "/api/busy");
            assertThat(busy.statusCode()).isEqualTo(503);
            assertThat(busy.headers().firstValue("Retry-After")).hasValue("2");
            assertThat(get(s, "/api/echo/more").statusCode()).isEqualTo(404);
            HttpResponse<String> nowhere = get(s, "/nowhere");
            assertThat(nowhere.statusCode()).isEqualTo(404);
            assertThat(nowhere.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                    .startsWith("application/json"));
            assertThat(nowhere.body()).isEqualTo("{\"error\":\"no such path: /nowhere\"}");
            assertThat(registry.getSampleValue("test_http_requests_total",
                    new String[] {"route", "status"}, new String[] {"/api/echo", "4xx"})).isEqualTo(1.0);
            // paths no route serves are counted together: the label's values stay a bounded set
            assertThat(registry.getSampleValue("test_http_requests_total",
                    new String[] {"route", "status"}, new String[] {"other", "4xx"})).isEqualTo(2.0);
        }
    }

    @Test
    void shouldNameTheKeyWhenThePortIsTaken() throws Exception {
        try (ServiceHttpServer first = new ServiceHttpServer("sink", new HttpSettings("127.0.0.1", 0),
                new CollectorRegistry(), () -> Health.up(Map.of()))) {
            assertThatThrownBy(() -> new ServiceHttpServer("sink", new HttpSettings("127.0.0.1", first.port()),
                    new CollectorRegistry(), () -> Health.up(Map.of())))
                    .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
                            .asString().startsWith("sink.http.port: 127.0.0.1:" + first.port() + " is in use")
                            .endsWith("choose another port, or 0 for a free one"));
        }
    }

    @Test
    void shouldAnswerBusyAtOnceBeyondItsBoundWhileHealthStillAnswers() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CollectorRegistry registry = new CollectorRegistry();
        try (ServiceHttpServer s = new ServiceHttpServer("test", new HttpSettings("127.0.0.1", 0, 16, 2, 0,
                Duration.ZERO, Duration.ofSeconds(30), io.mpipe.common.config.HttpSecurity.NONE), registry, () -> Health.up(Map.of()))) {
            s.route("/api/slow", ex -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Map.of("done", true);
            });
            s.start();
            List<CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                slow.add(client.sendAsync(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/slow")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                HttpResponse<String> third = get(s, "/api/slow");
                return third.statusCode() == 503;
            });
            HttpResponse<String> busy = get(s, "/api/slow");
            assertThat(busy.statusCode()).isEqualTo(503);
            assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(busy.body()).contains("busy");
            long t0 = System.nanoTime();
            assertThat(get(s, "/health").statusCode()).isEqualTo(200);
            assertThat(get(s, "/metrics").statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            release.countDown();
            for (CompletableFuture<HttpResponse<String>> f : slow) {
                assertThat(f.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            assertThat(registry.getSampleValue("test_http_requests_rejected_total")).isGreaterThanOrEqualTo(2.0);
        }
    }

    @Test
    void shouldLetARequestWaitItsTurnInTheQueueAndRefuseOneMoreAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();
        try (ServiceHttpServer s = new ServiceHttpServer("test", new HttpSettings("127.0.0.1", 0, 16, 1, 1,
                Duration.ofSeconds(30), Duration.ofSeconds(30), io.mpipe.common.config.HttpSecurity.NONE), new CollectorRegistry(), () -> Health.up(Map.of()))) {
            s.route("/api/slow", ex -> {
                started.incrementAndGet();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Map.of("done", true);
            });
            s.start();
            CompletableFuture<HttpResponse<String>> working = client.sendAsync(
                    HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/slow")).build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(10)).until(() -> started.get() == 1);
            CompletableFuture<HttpResponse<String>> waiting = client.sendAsync(
                    HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/slow")).build(),
                    HttpResponse.BodyHandlers.ofString());
            // the queue holds one: once it is taken, the next is refused at once
            await().atMost(Duration.ofSeconds(10)).until(() -> get(s, "/api/slow").statusCode() == 503);
            assertThat(waiting).isNotDone();
            release.countDown();
            assertThat(working.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(waiting.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(started.get()).isEqualTo(2);
        }
    }

    @Test
    void shouldCloseAConnectionThatSendsNothingForTheIdleTimeout() throws Exception {
        try (ServiceHttpServer s = new ServiceHttpServer("test", new HttpSettings("127.0.0.1", 0, 16, 4, 4,
                Duration.ofSeconds(1), Duration.ofSeconds(1), io.mpipe.common.config.HttpSecurity.NONE), new CollectorRegistry(), () -> Health.up(Map.of()))) {
            s.start();
            try (Socket slow = new Socket("127.0.0.1", s.port())) {
                slow.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                slow.setSoTimeout(10_000);
                long t0 = System.nanoTime();
                InputStream in = slow.getInputStream();
                while (in.read() >= 0) {
                    // whatever the server says before it closes (a 408, or nothing)
                }
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(500),
                        Duration.ofSeconds(5));
            }
            assertThat(get(s, "/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void shouldRefuseABodyLargerThanTheBound() throws Exception {
        try (ServiceHttpServer s = new ServiceHttpServer("test", new HttpSettings("127.0.0.1", 0),
                new CollectorRegistry(), () -> Health.up(Map.of()))) {
            s.route("/api/echo", ex -> Map.of("n", ex.body().length));
            s.start();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/api/echo"))
                    .method("GET", HttpRequest.BodyPublishers.ofByteArray(new byte[ServiceHttpServer.MAX_BODY_BYTES + 1]))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(413);
        }
    }
}
