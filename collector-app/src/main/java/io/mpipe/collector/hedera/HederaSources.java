package io.mpipe.collector.hedera;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.collector.source.Source;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Builds the mirror-node sources from {@link HederaSettings}. */
public final class HederaSources {

    private HederaSources() {
    }

    /**
     * One source per endpoint, each on its own interval, all sharing one {@link MirrorNodeClient}
     * (and so one rate limit); the accounts source only when accounts are configured. None when
     * Hedera is disabled.
     */
    public static List<Source> create(HederaSettings settings, Clock clock, CollectorMetrics metrics) {
        if (!settings.enabled()) {
            return List.of();
        }
        MirrorNodeClient client = new MirrorNodeClient(settings, metrics, clock);
        String network = settings.network();
        List<Source> sources = new ArrayList<>();
        if (!settings.accounts().isEmpty()) {
            sources.add(new HederaAccountsSource(client, network, interval(settings, "accounts"), settings.accounts(),
                    settings.tokenBalances(), settings.transactionsFrom()));
        }
        sources.add(new HederaNodesSource(client, network, interval(settings, "nodes")));
        sources.add(new HederaSupplySource(client, network, interval(settings, "supply")));
        sources.add(new HederaStakeSource(client, network, interval(settings, "stake")));
        sources.add(new HederaExchangeRateSource(client, network, interval(settings, "exchange-rate")));
        sources.add(new HederaFeesSource(client, network, interval(settings, "fees")));
        sources.add(new HederaBlocksSource(client, network, interval(settings, "blocks"), settings.tpsBlocks()));
        return List.copyOf(sources);
    }

    private static Duration interval(HederaSettings settings, String endpoint) {
        return Objects.requireNonNull(settings.interval(endpoint), "collector.hedera.intervals." + endpoint);
    }
}
