package io.mpipe.collector.replay;

import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricDecodeException;
import io.mpipe.common.wire.MetricJson;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** One line of a {@link ReplayFormat#JSONL} file to a {@link ReplayLine}; pure. */
final class JsonLinesParser {
    private final ReplayOptions options;

    JsonLinesParser(ReplayOptions options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /** Decodes one non-blank line with {@link MetricJson#decode}; a bad line keeps the decoder's field and reason. */
    ReplayLine parse(long line, String text) {
        return parse(line, text.getBytes(StandardCharsets.UTF_8));
    }

    /** The same, from the line's UTF-8 bytes (which become the record value when nothing is added). */
    ReplayLine parse(long line, byte[] bytes) {
        try {
            Metric m = MetricJson.decode(bytes);
            Metric out = options.withExtraLabels(m);
            // unchanged: the line is already the record value
            return new ReplayLine.Good(line, out, out == m ? bytes : null);
        } catch (MetricDecodeException e) {
            return ReplayLine.Bad.of(line, e.field(), e.reason());
        } catch (InvalidMetricException e) {
            return ReplayLine.Bad.of(line, e.field(), e.reason());
        }
    }
}
