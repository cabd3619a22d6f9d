package io.mpipe.collector.hedera;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import java.util.ArrayList;
import java.util.List;

/**
 * The metrics of one poll of one source: each stamped with the poll's time and labelled with the
 * network, so that no source can forget either.
 */
final class Samples {
    /** The label every Hedera metric carries: {@code collector.hedera.network}. */
    static final String NETWORK = "network";

    private final String network;
    private final long timestamp;
    private final List<Metric> metrics = new ArrayList<>();

    Samples(String network, long timestamp) {
        this.network = network;
        this.timestamp = timestamp;
    }

    /** Adds one metric with the network label and the given label name/value pairs. */
    Samples add(String name, double value, String... labelPairs) {
        Labels.Builder labels = Labels.builder().put(NETWORK, network);
        for (int i = 0; i < labelPairs.length; i += 2) {
            labels.put(labelPairs[i], labelPairs[i + 1]);
        }
        metrics.add(new Metric(name, timestamp, value, labels.build()));
        return this;
    }

    Samples addAll(Samples other) {
        metrics.addAll(other.metrics);
        return this;
    }

    List<Metric> toList() {
        return List.copyOf(metrics);
    }
}
