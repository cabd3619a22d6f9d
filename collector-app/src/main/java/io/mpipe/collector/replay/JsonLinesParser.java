package io.mpipe.collector.replay;

import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricDecodeException;
import io.mpipe.common.wire.MetricJson;
import io.mpipe.common.wire.SampleDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** One line of a {@link ReplayFormat#JSONL} file to a {@link ReplayLine}; one per reading thread. */
final class JsonLinesParser {
    private final ReplayOptions options;
    private final SampleDecoder decoder = new SampleDecoder();

    JsonLinesParser(ReplayOptions options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /** Decodes one non-blank line with {@link MetricJson#decode}; a bad line keeps the decoder's field and reason. */
    ReplayLine parse(long line, String text) {
        return parse(line, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The same, from the line's UTF-8 bytes, which become the record value when nothing is added
     * (the line is then checked as {@link MetricJson#decode} checks it, without building the metric:
     * see {@link SampleDecoder}).
     */
    ReplayLine parse(long line, byte[] bytes) {
        try {
            if (!options.addsLabels()) {
                decoder.decode(bytes);
                return ReplayLine.Good.asRead(line, decoder.key(), decoder.timestamp(), bytes);
            }
            Metric m = MetricJson.decode(bytes);
            Metric out = options.withExtraLabels(m);
            // unchanged: the line is already the record value
            return out == m ? new ReplayLine.Good(line, m, m.seriesKey(), m.timestamp(), bytes)
                    : new ReplayLine.Good(line, out);
        } catch (MetricDecodeException e) {
            return ReplayLine.Bad.of(line, e.field(), e.reason());
        } catch (InvalidMetricException e) {
            return ReplayLine.Bad.of(line, e.field(), e.reason());
        }
    }
}
