package io.mpipe.common.metric;

import java.util.Map;

/**
 * One sample of one series: the unit that flows through the pipeline.
 *
 * @param name      metric name, {@value MetricRules#NAME_PATTERN}
 * @param timestamp epoch milliseconds; also the Kafka record timestamp
 * @param value     any double, NaN and the infinities included
 * @param labels    immutable, iterated in label-name order
 * @throws InvalidMetricException from the constructor, naming the field and the reason
 */
public record Metric(String name, long timestamp, double value, Labels labels) {

    public Metric {
        MetricRules.checkName(name);
        MetricRules.checkTimestamp(timestamp);
        if (labels == null) {
            labels = Labels.EMPTY;
        }
    }

    /** Builds a metric from any label map, validating and freezing the labels. */
    public static Metric of(String name, long timestamp, double value, Map<String, String> labels) {
        return new Metric(name, timestamp, value, Labels.of(labels));
    }

    /** The canonical series key {@code name{k1="v1",k2="v2"}}, as used for the Kafka record key. */
    public String seriesKey() {
        return SeriesKey.format(name, labels);
    }
}
