package io.mpipe.collector.hedera;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.collector.source.Source;
import io.prometheus.client.CollectorRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HederaSourcesTest {
    private final CollectorMetrics metrics = new CollectorMetrics(new CollectorRegistry());

    @Test
    void shouldBuildOneSourcePerEndpointWithItsInterval() {
        HederaSettings settings = MirrorFixtures.withAccounts(MirrorFixtures.settings("http://127.0.0.1:1"),
                List.of(new HederaSettings.Account("0.0.8", "treasury")), false, "now");

        List<Source> sources = HederaSources.create(settings, Clock.systemUTC(), metrics);

        assertThat(sources).extracting(Source::name).containsExactly("hedera_accounts", "hedera_nodes",
                "hedera_supply", "hedera_stake", "hedera_exchange_rate", "hedera_fees", "hedera_blocks");
        assertThat(sources).extracting(Source::interval).containsExactly(
                settings.interval("accounts"), settings.interval("nodes"), settings.interval("supply"),
                settings.interval("stake"), settings.interval("exchange-rate"), settings.interval("fees"),
                settings.interval("blocks"));
        assertThat(sources.get(6).interval()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void shouldLeaveOutTheAccountsSourceWithoutAccounts() {
        List<Source> sources = HederaSources.create(MirrorFixtures.settings("http://127.0.0.1:1"), Clock.systemUTC(),
                metrics);

        assertThat(sources).extracting(Source::name).doesNotContain("hedera_accounts").hasSize(6);
    }

    @Test
    void shouldBuildNothingWhenDisabled() {
        HederaSettings on = MirrorFixtures.settings("http://127.0.0.1:1");
        HederaSettings off = new HederaSettings(false, on.network(), on.baseUrl(), on.requestTimeout(),
                on.maxRequestsPerSecond(), on.maxRetries(), on.maxBackoff(), on.accounts(), on.tokenBalances(),
                on.transactionsFrom(), on.intervals(), on.tpsBlocks());

        assertThat(HederaSources.create(off, Clock.systemUTC(), metrics)).isEmpty();
    }
}
