package io.mpipe.collector.hedera;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.collector.source.Source;
import java.time.Clock;
import java.util.List;

/** Builds the mirror-node sources from {@link HederaSettings}. */
public final class HederaSources {

    private HederaSources() {
    }

    /** One source per endpoint, each on its own interval; none when Hedera is disabled. */
    public static List<Source> create(HederaSettings settings, Clock clock, CollectorMetrics metrics) {
        if (!settings.enabled()) {
            return List.of();
        }
        throw new UnsupportedOperationException("Hedera sources are being built");
    }
}
