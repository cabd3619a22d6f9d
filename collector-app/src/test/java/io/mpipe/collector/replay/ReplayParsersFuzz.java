package io.mpipe.collector.replay;

import io.mpipe.common.metric.Labels;
import java.nio.charset.StandardCharsets;

/**
 * Fuzz target: one line of a replay file through the parser of each format the first byte picks
 * (JSON lines, CSV, timestamp-value CSV, OpenMetrics), and through the timestamp and value formats.
 * A parser answers a bad line with {@code Bad} (field and reason), never an exception; the
 * timestamp and value formats refuse with {@link BadFieldException} only.
 */
public final class ReplayParsersFuzz {
    private static final JsonLinesParser JSONL = new JsonLinesParser(ReplayOptions.of(ReplayFormat.JSONL));
    private static final CsvParser CSV = new CsvParser(ReplayFormat.CSV, ReplayOptions.of(ReplayFormat.CSV));
    private static final CsvParser CSV_TS = new CsvParser(ReplayFormat.CSV_TS,
            new ReplayOptions(ReplayFormat.CSV_TS, "fuzzed", Labels.of("from", "fuzz")));
    private static final OpenMetricsParser OPENMETRICS = new OpenMetricsParser(ReplayOptions.of(ReplayFormat.OPENMETRICS));

    private ReplayParsersFuzz() {
    }

    /** As the reader does: a line the splitter cannot split is a bad record of its own, not the parser's. */
    private static void csv(CsvParser parser, String line) {
        CsvSplitter splitter = new CsvSplitter();
        if (splitter.feed(line) && splitter.error() == null) {
            parser.parse(1, splitter.fields());
        }
    }

    public static void fuzzerTestOneInput(byte[] data) {
        if (data.length == 0) {
            return;
        }
        String line = new String(data, 1, data.length - 1, StandardCharsets.UTF_8);
        switch (data[0] & 3) {
            case 0 -> JSONL.parse(1, java.util.Arrays.copyOfRange(data, 1, data.length));
            case 1 -> csv(CSV, line);
            case 2 -> csv(CSV_TS, line);
            default -> {
                OpenMetricsParser.looksLikeSample(line);
                OPENMETRICS.parse(1, line);
            }
        }
        try {
            TimestampFormat.parse(line);
        } catch (BadFieldException e) {
            // refused, with its reason
        }
        try {
            ValueFormat.parse(line);
        } catch (BadFieldException e) {
            // refused, with its reason
        }
    }
}
