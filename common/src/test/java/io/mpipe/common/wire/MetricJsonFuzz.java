package io.mpipe.common.wire;

import io.mpipe.common.metric.Metric;

/**
 * Fuzz target: any bytes through {@link MetricJson#decode}. It may refuse them only with
 * {@link MetricDecodeException}; what it accepts, {@link MetricJson#encode} writes back to bytes
 * that decode to the same metric (values compared bit for bit).
 */
public final class MetricJsonFuzz {

    private MetricJsonFuzz() {
    }

    public static void fuzzerTestOneInput(byte[] data) {
        Metric m;
        try {
            m = MetricJson.decode(data);
        } catch (MetricDecodeException e) {
            return;
        }
        Metric again = MetricJson.decode(MetricJson.encode(m));
        if (!again.name().equals(m.name()) || again.timestamp() != m.timestamp()
                || Double.doubleToLongBits(again.value()) != Double.doubleToLongBits(m.value())
                || !again.labels().equals(m.labels())) {
            throw new AssertionError("round trip changed " + m + " into " + again);
        }
    }
}
