package io.mpipe.exporter.query;

import io.mpipe.common.metric.Labels;
import java.util.Map;

/**
 * One sample as the query API returns it: {@code value} is a number, or "NaN", "+Inf", "-Inf"
 * as in the wire format.
 */
public record MetricView(String name, long timestamp, Object value, Map<String, String> labels) {

    public static MetricView of(String name, Labels labels, long timestamp, double value) {
        Object v;
        if (Double.isNaN(value)) {
            v = "NaN";
        } else if (value == Double.POSITIVE_INFINITY) {
            v = "+Inf";
        } else if (value == Double.NEGATIVE_INFINITY) {
            v = "-Inf";
        } else {
            v = value;
        }
        return new MetricView(name, timestamp, v, labels);
    }

    /** Newest first, then by name and labels, so every instance orders a merge alike. */
    static int newestFirst(MetricView a, MetricView b) {
        int c = Long.compare(b.timestamp, a.timestamp);
        if (c != 0) {
            return c;
        }
        c = a.name.compareTo(b.name);
        return c != 0 ? c : a.labels.toString().compareTo(b.labels.toString());
    }
}
