package io.mpipe.collector.hedera;

import com.fasterxml.jackson.databind.JsonNode;
import io.mpipe.collector.source.Source;
import io.mpipe.common.metric.Metric;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@code GET /api/v1/network/supply}: {@code hedera_supply_released_tinybars} and
 * {@code hedera_supply_total_tinybars}. The API sends both as decimal strings; they are parsed as
 * int64, exactly, and only then turned into doubles.
 */
final class HederaSupplySource implements Source {
    static final String NAME = "hedera_supply";
    static final String PATH = "/api/v1/network/supply";

    /** The hbar supply, in tinybars. */
    record Supply(long released, long total) {
        static Supply parse(JsonNode body) throws BadResponseException {
            return new Supply(MirrorJson.int64String(body, "released_supply"),
                    MirrorJson.int64String(body, "total_supply"));
        }
    }

    private final MirrorNodeClient client;
    private final String network;
    private final Duration interval;

    HederaSupplySource(MirrorNodeClient client, String network, Duration interval) {
        this.client = Objects.requireNonNull(client, "client");
        this.network = Objects.requireNonNull(network, "network");
        this.interval = Objects.requireNonNull(interval, "interval");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Duration interval() {
        return interval;
    }

    @Override
    public List<Metric> poll(long nowMillis) throws MirrorNodeException, InterruptedException {
        Supply supply = client.get(NAME, PATH, Supply::parse);
        return new Samples(network, nowMillis)
                .add("hedera_supply_released_tinybars", supply.released())
                .add("hedera_supply_total_tinybars", supply.total())
                .toList();
    }
}
