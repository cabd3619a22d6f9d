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

class HederaFeesSourceTest {
    private final StubHttpServer server = new StubHttpServer();
    private final CollectorRegistry registry = new CollectorRegistry();
    private final CollectorMetrics metrics = new CollectorMetrics(registry);
    private final HederaFeesSource source = new HederaFeesSource(
            MirrorFixtures.client(MirrorFixtures.settings(server.baseUrl()), metrics), "testnet", Duration.ofMinutes(5));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void shouldExportGasPriceByTransactionType() throws Exception {
        server.always("/api/v1/network/fees", MirrorFixtures.ok("response_network_fees_no-params.json"));

        assertThat(bySeries(source.poll(NOW))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "hedera_gas_price_tinybars{network=\"testnet\",transaction_type=\"ContractCall\"}", 49.0,
                "hedera_gas_price_tinybars{network=\"testnet\",transaction_type=\"ContractCreate\"}", 65.0,
                "hedera_gas_price_tinybars{network=\"testnet\",transaction_type=\"EthereumTransaction\"}", 56.0));
    }

    @Test
    void shouldNameTheBadEntryOfAFeeList() {
        server.always("/api/v1/network/fees", StubHttpServer.Response.ok("""
                {"fees":[{"gas":49,"transaction_type":"ContractCall"},{"gas":4.5,"transaction_type":"ContractCreate"}]}
                """));

        assertThatThrownBy(() -> source.poll(NOW)).isInstanceOf(BadResponseException.class)
                .hasMessageContaining("/api/v1/network/fees: fees[1].gas: expected an int64, got 4.5");
        assertThat(registry.getSampleValue("collector_bad_responses_total", new String[] {"source"},
                new String[] {"hedera_fees"})).isEqualTo(1.0);
    }
}
