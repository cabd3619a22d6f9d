package io.mpipe.collector.hedera;

import com.fasterxml.jackson.databind.JsonNode;
import io.mpipe.common.metric.Metric;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code GET /api/v1/network/fees}: {@code hedera_gas_price_tinybars{transaction_type}} from each
 * entry's {@code gas}.
 */
final class HederaFeesSource extends MirrorSource {
    static final String NAME = "hedera_fees";
    static final String PATH = "/api/v1/network/fees";

    /** The gas price of one transaction type, in tinybars. */
    record GasPrice(String transactionType, long gas) {
        GasPrice {
            Objects.requireNonNull(transactionType, "transactionType");
        }

        static List<GasPrice> parseAll(JsonNode body) throws BadResponseException {
            List<JsonNode> fees = MirrorJson.array(body, "fees");
            List<GasPrice> out = new ArrayList<>(fees.size());
            for (int i = 0; i < fees.size(); i++) {
                try {
                    JsonNode fee = fees.get(i);
                    out.add(new GasPrice(MirrorJson.name(fee, "transaction_type"), MirrorJson.int64(fee, "gas")));
                } catch (BadResponseException e) {
                    throw e.within("fees[" + i + "]");
                }
            }
            return out;
        }
    }


    HederaFeesSource(MirrorNodeClient client, String network, Duration interval) {
        super(NAME, client, network, interval);
    }

    @Override
    public List<Metric> poll(long nowMillis) throws MirrorNodeException, InterruptedException {
        Samples out = new Samples(network, nowMillis);
        for (GasPrice price : client.get(NAME, PATH, GasPrice::parseAll)) {
            out.add("hedera_gas_price_tinybars", price.gas(), "transaction_type", price.transactionType());
        }
        return out.toList();
    }
}
