package io.mpipe.collector.hedera;

import com.fasterxml.jackson.databind.JsonNode;
import io.mpipe.common.metric.Metric;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@code GET /api/v1/network/exchangerate}: {@code hedera_exchange_rate_cents_per_hbar} with
 * {@code rate="current"} and {@code rate="next"}, each {@code cent_equivalent / hbar_equivalent}.
 */
final class HederaExchangeRateSource extends MirrorSource {
    static final String NAME = "hedera_exchange_rate";
    static final String PATH = "/api/v1/network/exchangerate";

    /** One rate: {@code cents} US cents buy {@code hbars} hbars. */
    record Rate(long cents, long hbars) {
        static Rate parse(JsonNode parent, String field) throws BadResponseException {
            JsonNode rate = MirrorJson.object(parent, field);
            try {
                long cents = MirrorJson.int64(rate, "cent_equivalent");
                long hbars = MirrorJson.int64(rate, "hbar_equivalent");
                if (hbars <= 0 || cents < 0) {
                    throw new BadResponseException("hbar_equivalent/cent_equivalent: expected a positive rate, got "
                            + cents + "/" + hbars);
                }
                return new Rate(cents, hbars);
            } catch (BadResponseException e) {
                throw e.within(field);
            }
        }

        double centsPerHbar() {
            return (double) cents / hbars;
        }
    }

    /** The rate in force and the one that follows it. */
    record Rates(Rate current, Rate next) {
        Rates {
            Objects.requireNonNull(current, "current");
            Objects.requireNonNull(next, "next");
        }

        static Rates parse(JsonNode body) throws BadResponseException {
            return new Rates(Rate.parse(body, "current_rate"), Rate.parse(body, "next_rate"));
        }
    }


    HederaExchangeRateSource(MirrorNodeClient client, String network, Duration interval) {
        super(NAME, client, network, interval);
    }

    @Override
    public List<Metric> poll(long nowMillis) throws MirrorNodeException, InterruptedException {
        Rates rates = client.get(NAME, PATH, Rates::parse);
        return new Samples(network, nowMillis)
                .add("hedera_exchange_rate_cents_per_hbar", rates.current().centsPerHbar(), "rate", "current")
                .add("hedera_exchange_rate_cents_per_hbar", rates.next().centsPerHbar(), "rate", "next")
                .toList();
    }
}
