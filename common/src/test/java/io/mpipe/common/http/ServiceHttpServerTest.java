package io.mpipe.common.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.HttpSettings;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
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
                    new String[] {"route", "status"}, new String[] {"/api/echo", "4xx"})).isEqualTo(2.0);
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
}
