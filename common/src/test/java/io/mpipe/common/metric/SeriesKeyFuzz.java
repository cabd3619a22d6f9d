package io.mpipe.common.metric;

import java.nio.charset.StandardCharsets;

/**
 * Fuzz target: any text through {@link SeriesKey#parse} (the sink parses every new series' key). It
 * may refuse it only with {@link InvalidMetricException}; what it accepts, {@link SeriesKey#format}
 * writes as a key that parses to the same name and labels.
 */
public final class SeriesKeyFuzz {

    private SeriesKeyFuzz() {
    }

    public static void fuzzerTestOneInput(byte[] data) {
        SeriesKey.Parsed p;
        try {
            p = SeriesKey.parse(new String(data, StandardCharsets.UTF_8));
        } catch (InvalidMetricException e) {
            return;
        }
        SeriesKey.Parsed again = SeriesKey.parse(SeriesKey.format(p.name(), p.labels()));
        if (!again.equals(p)) {
            throw new AssertionError("format then parse changed " + p + " into " + again);
        }
    }
}
