package io.mpipe.common.wire;

import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;
import java.util.Arrays;

/**
 * Fuzz target: a record (key and value from the input) through {@link SampleDecoder}, as the sink
 * and the exporter read it. It may refuse a record only with {@link MetricDecodeException}, and it
 * must agree with {@link MetricJson#decode} on every record: the same key, timestamp and value
 * bits, or a refusal naming the same field. The decoder is kept across inputs, so its memory of
 * series (the hit path) is fuzzed too.
 */
public final class SampleDecoderFuzz {
    private static final SampleDecoder DECODER = new SampleDecoder(64);

    private SampleDecoderFuzz() {
    }

    public static void fuzzerTestOneInput(byte[] data) {
        int keyLength = data.length == 0 ? 0 : data[0] & 0x7F;
        boolean withKey = data.length > 0 && (data[0] & 0x80) != 0;
        int split = Math.min(data.length, 1 + keyLength);
        byte[] key = withKey ? Arrays.copyOfRange(data, Math.min(1, data.length), split) : null;
        byte[] value = Arrays.copyOfRange(data, split, data.length);
        String expected = expected(value);
        String actual;
        try {
            DECODER.decode(key, value);
            actual = DECODER.key() + " | " + DECODER.timestamp() + " | " + Double.doubleToLongBits(DECODER.value());
            DECODER.metric(); // builds without a further error
        } catch (MetricDecodeException e) {
            actual = "refused: " + e.field();
        }
        if (!actual.equals(expected)) {
            throw new AssertionError("decoders disagree on " + new String(value, java.nio.charset.StandardCharsets.UTF_8)
                    + ": SampleDecoder " + actual + ", MetricJson " + expected);
        }
        if (!actual.startsWith("refused")) {
            try {
                DECODER.checkKey(key);
            } catch (MetricDecodeException e) {
                if (!e.field().equals("key")) {
                    throw e;
                }
            }
        }
    }

    private static String expected(byte[] value) {
        try {
            Metric m = MetricJson.decode(value);
            String key = m.seriesKey();
            MetricRules.checkSeriesKey(key);
            return key + " | " + m.timestamp() + " | " + Double.doubleToLongBits(m.value());
        } catch (MetricDecodeException e) {
            return "refused: " + e.field();
        } catch (InvalidMetricException e) {
            return "refused: " + e.field();
        }
    }
}
