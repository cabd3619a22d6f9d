package io.mpipe.collector.hedera;

import static io.mpipe.collector.hedera.MirrorFixtures.NOW;
import static io.mpipe.collector.hedera.MirrorFixtures.bySeries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.common.metric.Metric;
import io.mpipe.testsupport.StubHttpServer;
import io.prometheus.client.CollectorRegistry;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HederaSupplySourceTest {
    private final StubHttpServer server = new StubHttpServer();
    private final CollectorRegistry registry = new CollectorRegistry();
    private final CollectorMetrics metrics = new CollectorMetrics(registry);
    private final HederaSupplySource source = new HederaSupplySource(
            MirrorFixtures.client(MirrorFixtures.settings(server.baseUrl()), metrics), "testnet", Duration.ofMinutes(5));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void shouldParseSupplyStringsExactlyAsInt64() throws Exception {
        server.always("/api/v1/network/supply", MirrorFixtures.ok("response_network_supply_no-params.json"));

        List<Metric> out = source.poll(NOW);

        // 999999999999999949 has no exact double; its nearest is 1e18 (a float parse of a float would differ)
        assertThat(bySeries(out)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "hedera_supply_released_tinybars{network=\"testnet\"}", (double) 999_999_999_999_999_949L,
                "hedera_supply_total_tinybars{network=\"testnet\"}", 5e18));
        assertThat((double) 999_999_999_999_999_949L).isEqualTo(new BigDecimal("999999999999999949").doubleValue());
        assertThat(out).allSatisfy(m -> assertThat(m.timestamp()).isEqualTo(NOW));
        assertThat(source.name()).isEqualTo("hedera_supply");
        assertThat(source.interval()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void shouldCountAndThrowOnAResponseWithoutTheSupplyFields() {
        server.always("/api/v1/network/supply", StubHttpServer.Response.ok("{\"foo\":1}"));

        assertThatThrownBy(() -> source.poll(NOW))
                .isInstanceOf(BadResponseException.class)
                .hasMessageContaining("/api/v1/network/supply")
                .hasMessageContaining("released_supply");
        assertThat(registry.getSampleValue("collector_bad_responses_total", new String[] {"source"},
                new String[] {"hedera_supply"})).isEqualTo(1.0);
    }

    @Test
    void shouldRejectASupplyThatIsNotAnInteger() {
        server.always("/api/v1/network/supply", StubHttpServer.Response.ok(
                "{\"released_supply\":\"1.5e18\",\"total_supply\":\"5000000000000000000\"}"));

        assertThatThrownBy(() -> source.poll(NOW))
                .isInstanceOf(BadResponseException.class)
                .hasMessageContaining("released_supply: expected an int64 in a string, got \"1.5e18\"");
    }
}
