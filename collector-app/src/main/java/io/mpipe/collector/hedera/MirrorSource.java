package io.mpipe.collector.hedera;

import io.mpipe.collector.source.Source;
import java.time.Duration;
import java.util.Objects;

/** What every mirror-node source has: the shared client, the network label, its name and interval. */
abstract class MirrorSource implements Source {
    protected final MirrorNodeClient client;
    protected final String network;
    private final String name;
    private final Duration interval;

    MirrorSource(String name, MirrorNodeClient client, String network, Duration interval) {
        this.name = Objects.requireNonNull(name, "name");
        this.client = Objects.requireNonNull(client, "client");
        this.network = Objects.requireNonNull(network, "network");
        this.interval = Objects.requireNonNull(interval, "interval");
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Duration interval() {
        return interval;
    }
}
