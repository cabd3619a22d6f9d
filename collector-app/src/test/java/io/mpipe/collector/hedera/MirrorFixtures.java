package io.mpipe.collector.hedera;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.common.metric.Metric;
import io.mpipe.testsupport.StubHttpServer;
import io.mpipe.testsupport.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real mirror-node response bodies in {@code testdata/hedera-mirror} (from the mirror
 * node's own spec tests), and settings and clients for tests against a {@link StubHttpServer}.
 */
final class MirrorFixtures {
    /** The poll time of the tests: 2023-11-14T22:13:20Z. */
    static final long NOW = 1_700_000_000_000L;
    static final String NETWORK = "testnet";

    private MirrorFixtures() {
    }

    /** The repository's {@code testdata/hedera-mirror}. */
    static Path dir() {
        return TestData.dir("hedera-mirror");
    }

    static String read(String file) {
        try {
            return Files.readString(dir().resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fixture file as a 200 answer. */
    static StubHttpServer.Response ok(String file) {
        return StubHttpServer.file(dir().resolve(file));
    }

    /** Fast settings: 2 s timeout, 1000 requests/s, 3 retries, 50 ms max backoff, no accounts. */
    static HederaSettings settings(String baseUrl) {
        return settings(baseUrl, Duration.ofSeconds(2), 1000, 3, Duration.ofMillis(50));
    }

    static HederaSettings settings(String baseUrl, Duration timeout, double rps, int retries, Duration maxBackoff) {
        return new HederaSettings(true, NETWORK, baseUrl, timeout, rps, retries, maxBackoff, List.of(), false, "now",
                intervals(), 2);
    }

    static HederaSettings withAccounts(HederaSettings s, List<HederaSettings.Account> accounts, boolean tokens,
            String transactionsFrom) {
        return new HederaSettings(s.enabled(), s.network(), s.baseUrl(), s.requestTimeout(), s.maxRequestsPerSecond(),
                s.maxRetries(), s.maxBackoff(), accounts, tokens, transactionsFrom, s.intervals(), s.tpsBlocks());
    }

    static Map<String, Duration> intervals() {
        Map<String, Duration> m = new LinkedHashMap<>();
        for (String e : HederaSettings.ENDPOINTS) {
            m.put(e, Duration.ofSeconds(1 + m.size()));
        }
        return m;
    }

    static MirrorNodeClient client(HederaSettings settings, CollectorMetrics metrics) {
        return new MirrorNodeClient(settings, metrics, Clock.systemUTC());
    }

    /** Metrics by series key ({@code name{label="value",...}}), to assert names, labels and values at once. */
    static Map<String, Double> bySeries(List<Metric> metrics) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Metric m : metrics) {
            if (out.put(m.seriesKey(), m.value()) != null) {
                throw new AssertionError("series emitted twice in one poll: " + m.seriesKey());
            }
        }
        return out;
    }
}
