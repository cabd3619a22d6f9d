package io.mpipe.collector.replay;

import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.wire.MetricDecodeException;
import io.mpipe.common.wire.MetricJson;
import java.util.Objects;

/** One line of a {@link ReplayFormat#JSONL} file to a {@link ReplayLine}; pure. */
final class JsonLinesParser {
    private final ReplayOptions options;

    JsonLinesParser(ReplayOptions options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /** Decodes one non-blank line with {@link MetricJson#decode}; a bad line keeps the decoder's field and reason. */
    ReplayLine parse(long line, String text) {
        try {
            return new ReplayLine.Good(line, options.withExtraLabels(MetricJson.decode(text)));
        } catch (MetricDecodeException e) {
            return ReplayLine.Bad.of(line, e.field(), e.reason());
        } catch (InvalidMetricException e) {
            return ReplayLine.Bad.of(line, e.field(), e.reason());
        }
    }
}
