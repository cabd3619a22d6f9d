package io.mpipe.collector.replay;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The file formats {@code pipeline replay} reads. Any of them may be gzip-compressed. */
public enum ReplayFormat {
    /**
     * JSON lines: one metric per line in the wire format,
     * {@code {"name":..., "timestamp": <epoch ms>, "value":..., "labels":{...}}}.
     */
    JSONL,
    /**
     * CSV {@code name,timestamp,value,labels} as PostgreSQL writes it with
     * {@code \copy (SELECT name, ts, value, labels FROM metrics) TO 'f.csv' CSV HEADER}: the
     * labels are the jsonb text in a quoted field. The header (columns {@code ts} or
     * {@code timestamp}) is optional.
     */
    CSV,
    /**
     * CSV {@code timestamp,value} (header optional) for one series whose name and labels come
     * from the {@link ReplayOptions}.
     */
    CSV_TS,
    /**
     * OpenMetrics or Prometheus text exposition format with a timestamp on every sample, as
     * {@code promtool tsdb create-blocks-from openmetrics} reads it.
     */
    OPENMETRICS;

    /**
     * Detects the format of a file, first from its name and then from its first non-blank line.
     * A {@code .gz} suffix is ignored; {@code .jsonl}, {@code .ndjson} and {@code .json} are
     * {@link #JSONL}; {@code .prom}, {@code .om} and {@code .txt} are {@link #OPENMETRICS};
     * {@code .csv} is {@link #CSV_TS} when the first line is a {@code timestamp,value} header or has
     * two fields and {@link #CSV} otherwise. Any other name is decided by {@link #fromFirstLine}.
     *
     * @param fileName  the file's name (a path's last element)
     * @param firstLine the first non-blank line of the (decompressed) file, or null when it has none
     * @return the format, or empty when neither the name nor the line tells
     */
    public static Optional<ReplayFormat> detect(String fileName, String firstLine) {
        String name = fileName.toLowerCase(Locale.ROOT);
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        int dot = name.lastIndexOf('.');
        String extension = dot < 0 ? "" : name.substring(dot + 1);
        switch (extension) {
            case "jsonl", "ndjson", "json" -> {
                return Optional.of(JSONL);
            }
            case "prom", "om", "txt" -> {
                return Optional.of(OPENMETRICS);
            }
            case "csv" -> {
                if (firstLine == null) {
                    return Optional.of(CSV);
                }
                List<String> fields = CsvSplitter.splitLine(firstLine.strip());
                return Optional.of(fields != null && fields.size() == 2 ? CSV_TS : CSV);
            }
            default -> {
                return firstLine == null ? Optional.empty() : fromFirstLine(firstLine);
            }
        }
    }

    /**
     * Detects the format from the first non-blank line of a file:
     *
     * <ul>
     *   <li>{@code {...} } is {@link #JSONL};</li>
     *   <li>a comment ({@code # HELP}, {@code # TYPE}, {@code # UNIT}, {@code # EOF}, any
     *       {@code #}), {@code name{...} ...} or {@code name value [timestamp]} is
     *       {@link #OPENMETRICS};</li>
     *   <li>the header {@code name,ts,value,labels} (or {@code timestamp} for {@code ts}), or a
     *       record of four fields whose second is a timestamp, is {@link #CSV};</li>
     *   <li>the header {@code timestamp,value} (or {@code ts,value}), or a record of two fields whose
     *       first is a timestamp, is {@link #CSV_TS}.</li>
     * </ul>
     *
     * @return the format, or empty when the line looks like none of them
     */
    public static Optional<ReplayFormat> fromFirstLine(String line) {
        String s = line.strip();
        if (s.isEmpty()) {
            return Optional.empty();
        }
        if (s.charAt(0) == '{') {
            return Optional.of(JSONL);
        }
        if (s.charAt(0) == '#') {
            return Optional.of(OPENMETRICS);
        }
        List<String> fields = CsvSplitter.splitLine(s);
        if (fields != null && CsvParser.isHeader(CSV, fields)) {
            return Optional.of(CSV);
        }
        if (fields != null && CsvParser.isHeader(CSV_TS, fields)) {
            return Optional.of(CSV_TS);
        }
        if (OpenMetricsParser.looksLikeSample(s)) {
            return Optional.of(OPENMETRICS);
        }
        if (fields != null && fields.size() == 2 && isTimestamp(fields.get(0))) {
            return Optional.of(CSV_TS);
        }
        if (fields != null && fields.size() == 4 && isTimestamp(fields.get(1))) {
            return Optional.of(CSV);
        }
        return Optional.empty();
    }

    private static boolean isTimestamp(String s) {
        try {
            TimestampFormat.parse(s.strip());
            return true;
        } catch (BadFieldException e) {
            return false;
        }
    }
}
