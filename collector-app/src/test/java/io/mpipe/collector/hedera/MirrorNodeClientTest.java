package io.mpipe.collector.hedera;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.mpipe.collector.CollectorMetrics;
import io.mpipe.testsupport.StubHttpServer;
import io.mpipe.testsupport.StubHttpServer.Response;
import io.prometheus.client.CollectorRegistry;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MirrorNodeClientTest {
    private static final String SUPPLY = "/api/v1/network/supply";
    private static final String SOURCE = "hedera_supply";

    private final StubHttpServer server = new StubHttpServer();
    private final CollectorRegistry registry = new CollectorRegistry();
    private final CollectorMetrics metrics = new CollectorMetrics(registry);
    /** What a recording sleeper was asked to wait, in order. */
    private final List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() {
        server.close();
    }

    private MirrorNodeClient client(HederaSettings settings) {
        return MirrorFixtures.client(settings, metrics);
    }

    /** A client that records its waits instead of sleeping, with a fixed wall clock. */
    private MirrorNodeClient recordingClient(HederaSettings settings, Clock clock, int maxPages) {
        return new MirrorNodeClient(settings, metrics, clock, sleeps::add, System::nanoTime, new Random(7), maxPages);
    }

    private double retries(String reason) {
        Double v = registry.getSampleValue("collector_http_retries_total", new String[] {"source", "reason"},
                new String[] {SOURCE, reason});
        return v == null ? 0 : v;
    }

    private static String released(JsonNode body) throws BadResponseException {
        return MirrorJson.text(body, "released_supply");
    }

    @Test
    void shouldRetryAfter429HonouringRetryAfterSeconds() throws Exception {
        server.next(SUPPLY, Response.status(429, "{}").withHeader("Retry-After", "1"));
        server.always(SUPPLY, MirrorFixtures.ok("response_network_supply_no-params.json"));
        MirrorNodeClient client = client(MirrorFixtures.settings(server.baseUrl(), Duration.ofSeconds(2), 1000, 3,
                Duration.ofSeconds(5)));

        long t0 = System.nanoTime();
        String value = client.get(SOURCE, SUPPLY, MirrorNodeClientTest::released);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        assertThat(value).isEqualTo("999999999999999949");
        assertThat(server.count(SUPPLY)).isEqualTo(2);
        assertThat(retries("429")).isEqualTo(1.0);
        assertThat(took).isBetween(Duration.ofMillis(950), Duration.ofMillis(3000));
    }

    @Test
    void shouldWaitUntilARetryAfterDate() throws Exception {
        Instant now = Instant.parse("2024-03-01T12:00:00Z");
        String in7s = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.plusSeconds(7).atOffset(ZoneOffset.UTC));
        server.next(SUPPLY, Response.status(429, "{}").withHeader("Retry-After", in7s));
        server.always(SUPPLY, MirrorFixtures.ok("response_network_supply_no-params.json"));
        MirrorNodeClient client = recordingClient(MirrorFixtures.settings(server.baseUrl(), Duration.ofSeconds(2),
                1000, 3, Duration.ofSeconds(30)), Clock.fixed(now, ZoneOffset.UTC), 20);

        client.get(SOURCE, SUPPLY, MirrorNodeClientTest::released);

        assertThat(sleeps).contains(Duration.ofSeconds(7));
        assertThat(retries("429")).isEqualTo(1.0);
    }

    @Test
    void shouldCapRetryAfterAtMaxBackoff() throws Exception {
        server.next(SUPPLY, Response.status(503, "").withHeader("Retry-After", "120"));
        server.always(SUPPLY, MirrorFixtures.ok("response_network_supply_no-params.json"));
        MirrorNodeClient client = recordingClient(MirrorFixtures.settings(server.baseUrl(), Duration.ofSeconds(2),
                1000, 3, Duration.ofSeconds(2)), Clock.systemUTC(), 20);

        client.get(SOURCE, SUPPLY, MirrorNodeClientTest::released);

        assertThat(sleeps).contains(Duration.ofSeconds(2)).allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(
                Duration.ofSeconds(2)));
        assertThat(retries("5xx")).isEqualTo(1.0);
    }

    @Test
    void shouldRetryAfter5xxThenSucceed() throws Exception {
        server.next(SUPPLY, Response.status(500, "{\"_status\":{}}"));
        server.always(SUPPLY, MirrorFixtures.ok("response_network_supply_no-params.json"));

        String value = client(MirrorFixtures.settings(server.baseUrl())).get(SOURCE, SUPPLY,
                MirrorNodeClientTest::released);

        assertThat(value).isEqualTo("999999999999999949");
        assertThat(server.count(SUPPLY)).isEqualTo(2);
        assertThat(retries("5xx")).isEqualTo(1.0);
    }

    @Test
    void shouldFailAfterMaxRetriesWhenTheServerKeepsFailing() {
        server.always(SUPPLY, Response.status(500, "{}"));
        MirrorNodeClient client = client(MirrorFixtures.settings(server.baseUrl()));

        assertThatThrownBy(() -> client.get(SOURCE, SUPPLY, MirrorNodeClientTest::released))
                .isInstanceOfSatisfying(MirrorNodeHttpException.class, e -> {
                    assertThat(e.status()).isEqualTo(500);
                    assertThat(e.attempts()).isEqualTo(4);
                    assertThat(e.endpoint()).isEqualTo(SUPPLY);
                })
                .hasMessage(SUPPLY + ": HTTP 500 after 4 attempts");
        assertThat(server.count(SUPPLY)).isEqualTo(4);
        assertThat(retries("5xx")).isEqualTo(3.0);
    }

    @Test
    void shouldNotRetryOtherClientErrors() {
        MirrorNodeClient client = client(MirrorFixtures.settings(server.baseUrl()));

        assertThatThrownBy(() -> client.get(SOURCE, "/api/v1/accounts/0.0.404?transactions=false", body -> body))
                .isInstanceOfSatisfying(MirrorNodeHttpException.class, e -> assertThat(e.status()).isEqualTo(404))
                .hasMessage("/api/v1/accounts/0.0.404?transactions=false: HTTP 404 (not retried)");
        assertThat(server.requests()).hasSize(1);
        assertThat(retries("429") + retries("5xx") + retries("timeout") + retries("io")).isZero();
    }

    @Test
    void shouldRetryATimeoutThenFail() {
        server.always(SUPPLY, MirrorFixtures.ok("response_network_supply_no-params.json")
                .withDelay(Duration.ofSeconds(5)));
        MirrorNodeClient client = client(MirrorFixtures.settings(server.baseUrl(), Duration.ofMillis(500), 1000, 1,
                Duration.ofMillis(20)));

        long t0 = System.nanoTime();
        assertThatThrownBy(() -> client.get(SOURCE, SUPPLY, MirrorNodeClientTest::released))
                .isInstanceOfSatisfying(MirrorNodeHttpException.class, e -> {
                    assertThat(e.status()).isZero();
                    assertThat(e.attempts()).isEqualTo(2);
                })
                .hasCauseInstanceOf(HttpTimeoutException.class)
                .hasMessage(SUPPLY + ": timed out after 2 attempts");
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        assertThat(retries("timeout")).isEqualTo(1.0);
        // two timeouts and a backoff, well short of the 5 s the server would have taken
        assertThat(took).isBetween(Duration.ofMillis(1000), Duration.ofMillis(4000));
    }

    @Test
    void shouldRetryATimeoutThenSucceed() throws Exception {
        server.next(SUPPLY, MirrorFixtures.ok("response_network_supply_no-params.json").withDelay(Duration.ofSeconds(3)));
        server.always(SUPPLY, MirrorFixtures.ok("response_network_supply_no-params.json"));
        MirrorNodeClient client = client(MirrorFixtures.settings(server.baseUrl(), Duration.ofSeconds(1), 1000, 1,
                Duration.ofMillis(20)));

        assertThat(client.get(SOURCE, SUPPLY, MirrorNodeClientTest::released)).isEqualTo("999999999999999949");
        assertThat(retries("timeout")).isEqualTo(1.0);
    }

    @Test
    void shouldRetryAConnectionThatIsRefused() {
        String closed = server.baseUrl();
        server.close();
        MirrorNodeClient client = client(MirrorFixtures.settings(closed, Duration.ofSeconds(1), 1000, 2,
                Duration.ofMillis(10)));

        assertThatThrownBy(() -> client.get(SOURCE, SUPPLY, MirrorNodeClientTest::released))
                .isInstanceOfSatisfying(MirrorNodeHttpException.class, e -> assertThat(e.status()).isZero())
                .hasMessageContaining("after 3 attempts");
        assertThat(retries("io")).isEqualTo(2.0);
    }

    @Test
    void shouldPaceRequestsAtTheRateLimit() throws Exception {
        server.always(SUPPLY, MirrorFixtures.ok("response_network_supply_no-params.json"));
        MirrorNodeClient client = client(MirrorFixtures.settings(server.baseUrl(), Duration.ofSeconds(2), 20, 0,
                Duration.ofMillis(10)));

        long t0 = System.nanoTime();
        for (int i = 0; i < 11; i++) {
            client.get(SOURCE, SUPPLY, MirrorNodeClientTest::released);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        // 11 requests at 20/s: 10 gaps of 50 ms
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(500));
    }

    @Test
    void shouldShareTheRateLimitBetweenSources() throws Exception {
        server.always(SUPPLY, MirrorFixtures.ok("response_network_supply_no-params.json"));
        server.always("/api/v1/network/fees", MirrorFixtures.ok("response_network_fees_no-params.json"));
        MirrorNodeClient client = client(MirrorFixtures.settings(server.baseUrl(), Duration.ofSeconds(2), 20, 0,
                Duration.ofMillis(10)));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            long t0 = System.nanoTime();
            List<Future<?>> done = new ArrayList<>();
            for (String path : List.of(SUPPLY, "/api/v1/network/fees")) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 6; i++) {
                        client.get("hedera_test", path, body -> body);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - t0);

            // 12 requests from two threads at 20/s in total: 11 gaps of 50 ms
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(550));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldCountABodyThatIsNotJson() {
        server.always(SUPPLY, Response.ok("<html>busy</html>"));
        MirrorNodeClient client = client(MirrorFixtures.settings(server.baseUrl()));

        assertThatThrownBy(() -> client.get(SOURCE, SUPPLY, MirrorNodeClientTest::released))
                .isInstanceOfSatisfying(BadResponseException.class, e -> assertThat(e.endpoint()).isEqualTo(SUPPLY))
                .hasMessageContaining("not JSON");
        assertThat(registry.getSampleValue("collector_bad_responses_total", new String[] {"source"},
                new String[] {SOURCE})).isEqualTo(1.0);
    }

    @Test
    void shouldCountABodyThatIsNotAnObject() {
        server.always(SUPPLY, Response.ok("[1,2]"));
        MirrorNodeClient client = client(MirrorFixtures.settings(server.baseUrl()));

        assertThatThrownBy(() -> client.get(SOURCE, SUPPLY, MirrorNodeClientTest::released))
                .isInstanceOf(BadResponseException.class)
                .hasMessage(SUPPLY + ": expected a JSON object, got array");
    }

    @Test
    void shouldStopPagingAtThePageBound() throws Exception {
        String page = "/api/v1/network/nodes";
        server.always(page, Response.ok("{\"nodes\":[1],\"links\":{\"next\":\"/api/v1/network/nodes\"}}"));
        MirrorNodeClient client = recordingClient(MirrorFixtures.settings(server.baseUrl()), Clock.systemUTC(), 3);

        List<JsonNode> items = client.getPages("hedera_nodes", page, body -> MirrorJson.array(body, "nodes"));

        assertThat(items).hasSize(3);
        assertThat(server.count(page)).isEqualTo(3);
    }

    @Test
    void shouldNotFollowALinkToAnotherServer() {
        String page = "/api/v1/network/nodes";
        server.always(page, Response.ok("{\"nodes\":[],\"links\":{\"next\":\"http://elsewhere.example/api/v1/x\"}}"));
        MirrorNodeClient client = client(MirrorFixtures.settings(server.baseUrl()));

        assertThatThrownBy(() -> client.getPages("hedera_nodes", page, body -> MirrorJson.array(body, "nodes")))
                .isInstanceOf(BadResponseException.class)
                .hasMessageContaining("links.next: expected a path starting with /");
        assertThat(server.requests()).containsExactly(page);
    }

    @Test
    void shouldNotFollowALinkThatIsNotAPath() {
        String page = "/api/v1/network/nodes";
        server.always(page, Response.ok("{\"nodes\":[],\"links\":{\"next\":\"/api/v1/network/nodes?x=a b\"}}"));
        MirrorNodeClient client = client(MirrorFixtures.settings(server.baseUrl()));

        assertThatThrownBy(() -> client.getPages("hedera_nodes", page, body -> MirrorJson.array(body, "nodes")))
                .isInstanceOf(BadResponseException.class)
                .hasMessageContaining("links.next: expected a valid path and query");
    }

    @Test
    void shouldBackOffExponentiallyWithJitterUpToTheCap() {
        MirrorNodeClient client = recordingClient(MirrorFixtures.settings(server.baseUrl(), Duration.ofSeconds(2),
                1000, 5, Duration.ofSeconds(1)), Clock.systemUTC(), 20);

        for (int i = 0; i < 50; i++) {
            assertThat(client.backoff(1)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
            assertThat(client.backoff(2)).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
            assertThat(client.backoff(3)).isBetween(Duration.ofMillis(400), Duration.ofMillis(800));
            assertThat(client.backoff(4)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
            assertThat(client.backoff(20)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
        }
    }
}
