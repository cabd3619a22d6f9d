package io.mpipe.collector.hedera;

import com.fasterxml.jackson.databind.JsonNode;
import io.mpipe.common.metric.Metric;
import java.time.Duration;
import java.util.List;

/**
 * {@code GET /api/v1/network/supply}: {@code hedera_supply_released_tinybars} and
 * {@code hedera_supply_total_tinybars}. The API sends both as decimal strings; they are parsed as
 * int64, exactly, and only then turned into doubles.
 */
final class HederaSupplySource extends MirrorSource {
    static final String NAME = "hedera_supply";
    static final String PATH = "/api/v1/network/supply";

    /** The hbar supply, in tinybars. */
    record Supply(long released, long total) {
        static Supply parse(JsonNode body) throws BadResponseException {
            return new Supply(MirrorJson.int64String(body, "released_supply"),
                    MirrorJson.int64String(body, "total_supply"));
        }
    }


    HederaSupplySource(MirrorNodeClient client, String network, Duration interval) {
        super(NAME, client, network, interval);
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
