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

class HederaStakeSourceTest {
    private final StubHttpServer server = new StubHttpServer();
    private final CollectorRegistry registry = new CollectorRegistry();
    private final CollectorMetrics metrics = new CollectorMetrics(registry);
    private final HederaStakeSource source = new HederaStakeSource(
            MirrorFixtures.client(MirrorFixtures.settings(server.baseUrl()), metrics), "testnet", Duration.ofMinutes(5));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void shouldExportNetworkStake() throws Exception {
        server.always("/api/v1/network/stake", MirrorFixtures.ok("example_network_stake.json"));

        assertThat(bySeries(source.poll(NOW))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "hedera_network_stake_total_tinybars{network=\"testnet\"}", 35_000_000_000_000_000.0,
                "hedera_network_staking_reward_rate{network=\"testnet\"}", 100_000_000_000.0,
                "hedera_network_max_staking_reward_rate_per_hbar{network=\"testnet\"}", 17_808.0));
    }

    @Test
    void shouldCountAStakeThatIsNotANumber() {
        server.always("/api/v1/network/stake", StubHttpServer.Response.ok(
                "{\"stake_total\":\"many\",\"staking_reward_rate\":1,\"max_staking_reward_rate_per_hbar\":2}"));

        assertThatThrownBy(() -> source.poll(NOW)).isInstanceOf(BadResponseException.class)
                .hasMessageContaining("stake_total");
        assertThat(registry.getSampleValue("collector_bad_responses_total", new String[] {"source"},
                new String[] {"hedera_stake"})).isEqualTo(1.0);
    }
}
