package io.mpipe.collector.hedera;

import static io.mpipe.collector.hedera.MirrorFixtures.NOW;
import static io.mpipe.collector.hedera.MirrorFixtures.bySeries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.testsupport.StubHttpServer;
import io.prometheus.client.CollectorRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HederaExchangeRateSourceTest {
    private final StubHttpServer server = new StubHttpServer();
    private final CollectorRegistry registry = new CollectorRegistry();
    private final CollectorMetrics metrics = new CollectorMetrics(registry);
    private final HederaExchangeRateSource source = new HederaExchangeRateSource(
            MirrorFixtures.client(MirrorFixtures.settings(server.baseUrl()), metrics), "testnet", Duration.ofMinutes(5));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void shouldExportCentsPerHbarOfTheCurrentAndNextRate() throws Exception {
        server.always("/api/v1/network/exchangerate", MirrorFixtures.ok("example_network_exchangerate.json"));

        assertThat(bySeries(source.poll(NOW))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "hedera_exchange_rate_cents_per_hbar{network=\"testnet\",rate=\"current\"}", 596987.0 / 30000.0,
                "hedera_exchange_rate_cents_per_hbar{network=\"testnet\",rate=\"next\"}", 596987.0 / 30000.0));
    }

    @Test
    void shouldRejectARateOfZeroHbars() {
        server.always("/api/v1/network/exchangerate", StubHttpServer.Response.ok("""
                {"current_rate":{"cent_equivalent":12,"hbar_equivalent":0},
                 "next_rate":{"cent_equivalent":12,"hbar_equivalent":1}}"""));

        assertThatThrownBy(() -> source.poll(NOW)).isInstanceOf(BadResponseException.class)
                .hasMessageContaining("current_rate.hbar_equivalent");
        assertThat(registry.getSampleValue("collector_bad_responses_total", new String[] {"source"},
                new String[] {"hedera_exchange_rate"})).isEqualTo(1.0);
    }
}
