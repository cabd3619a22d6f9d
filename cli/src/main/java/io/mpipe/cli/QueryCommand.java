package io.mpipe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.cli.query.ExporterClient;
import io.mpipe.common.config.ConfigException;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.SeriesKey;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "query", mixinStandardHelpOptions = true,
        description = {"Samples of a metric from the exporter's query API (any instance; older data from PostgreSQL).",
            "On a terminal: a table of the series, with a sparkline of each; piped: one sample a line."})
final class QueryCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final char[] BARS = "▁▂▃▄▅▆▇█".toCharArray();

    @Parameters(index = "0", paramLabel = "NAME", description = "The metric name.")
    String name;

    @Option(names = "--label", paramLabel = "K=V", description = "Only series with this label (repeatable).")
    List<String> labels = List.of();

    @Option(names = "--from", paramLabel = "TIME", defaultValue = "1h",
            description = "From: an ISO-8601 instant, epoch ms, or a duration ago (default: ${DEFAULT-VALUE}).")
    String from;

    @Option(names = "--to", paramLabel = "TIME", description = "To, the same way (default: now).")
    String to;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "1000",
            description = "Most samples, newest first, over all series (default: ${DEFAULT-VALUE}; at most 10000).")
    int limit;

    @Option(names = "--format", paramLabel = "F", defaultValue = "table",
            description = "table, json or csv (name,timestamp,value,labels, as replay reads it). Default: table.")
    String format;

    @Mixin
    ExporterOptions exporter;

    @Override
    public Integer call() throws Exception {
        if (!List.of("table", "json", "csv").contains(format)) {
            throw new ConfigException("--format: '" + format + "' is not one of table, json, csv");
        }
        if (limit < 1 || limit > 10_000) {
            throw new ConfigException("--limit: " + limit + " is out of range [1, 10000]");
        }
        Map<String, String> filters = new LinkedHashMap<>();
        for (String l : labels) {
            int eq = l.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--label: '" + l + "' must be name=value");
            }
            filters.put(l.substring(0, eq), l.substring(eq + 1));
        }
        long now = System.currentTimeMillis();
        long fromMs = TimeArg.parse("--from", from, now);
        long toMs = to == null ? now : TimeArg.parse("--to", to, now);
        if (fromMs > toMs) {
            throw new ConfigException("--from: " + Instant.ofEpochMilli(fromMs) + " is after --to "
                    + Instant.ofEpochMilli(toMs));
        }
        ExporterClient client = exporter.client();
        List<ExporterClient.Sample> samples = client.samples(Optional.of(name), filters, fromMs, toMs, limit);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        switch (format) {
            case "json" -> out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(samples));
            case "csv" -> csv(samples, out);
            default -> {
                if (System.console() != null) {
                    out.print(table(samples, 40));
                } else {
                    rows(samples, out);
                }
            }
        }
        if (samples.isEmpty()) {
            System.err.println("query: no samples of " + name + (filters.isEmpty() ? "" : " " + filters) + " between "
                    + Instant.ofEpochMilli(fromMs) + " and " + Instant.ofEpochMilli(toMs));
        }
        return Pipeline.OK;
    }

    static String key(ExporterClient.Sample s) {
        return SeriesKey.format(s.name(), Labels.of(s.labels()));
    }

    /** One sample a line, tab-separated: time, series, value (for grep, awk, sort). */
    static void rows(List<ExporterClient.Sample> samples, PrintStream out) {
        for (ExporterClient.Sample s : samples) {
            out.println(Instant.ofEpochMilli(s.timestamp()) + "\t" + key(s) + "\t" + number(s.value()));
        }
    }

    static void csv(List<ExporterClient.Sample> samples, PrintStream out) throws Exception {
        out.println("name,timestamp,value,labels");
        for (ExporterClient.Sample s : samples) {
            String labels = JSON.writeValueAsString(s.labels()).replace("\"", "\"\"");
            out.println(s.name() + "," + Instant.ofEpochMilli(s.timestamp()) + "," + number(s.value()) + ",\"" + labels
                    + "\"");
        }
    }

    /** A series a row: samples, the time they span, min, max, the latest value, and a sparkline. */
    static String table(List<ExporterClient.Sample> samples, int width) {
        Map<String, List<ExporterClient.Sample>> bySeries = new LinkedHashMap<>();
        for (ExporterClient.Sample s : samples) {
            bySeries.computeIfAbsent(key(s), k -> new ArrayList<>()).add(s);
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"SERIES", "SAMPLES", "FROM", "TO", "MIN", "MAX", "LATEST", "TREND"});
        bySeries.forEach((key, list) -> {
            List<ExporterClient.Sample> oldestFirst = new ArrayList<>(list);
            java.util.Collections.reverse(oldestFirst);
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (ExporterClient.Sample s : oldestFirst) {
                if (!Double.isNaN(s.value())) {
                    min = Math.min(min, s.value());
                    max = Math.max(max, s.value());
                }
            }
            rows.add(new String[] {key, Integer.toString(list.size()),
                Instant.ofEpochMilli(oldestFirst.get(0).timestamp()).toString(),
                Instant.ofEpochMilli(list.get(0).timestamp()).toString(), number(min), number(max),
                number(list.get(0).value()), sparkline(oldestFirst, width)});
        });
        return TextTable.format(rows);
    }

    /** The values, oldest first, in at most {@code width} bars (each the mean of its share of the samples). */
    static String sparkline(List<ExporterClient.Sample> oldestFirst, int width) {
        int n = oldestFirst.size();
        int bars = Math.min(n, width);
        double[] v = new double[bars];
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int b = 0; b < bars; b++) {
            int from = (int) ((long) b * n / bars);
            int to = (int) ((long) (b + 1) * n / bars);
            double sum = 0;
            int count = 0;
            for (int i = from; i < to; i++) {
                double x = oldestFirst.get(i).value();
                if (Double.isFinite(x)) {
                    sum += x;
                    count++;
                }
            }
            v[b] = count == 0 ? Double.NaN : sum / count;
            if (count > 0) {
                min = Math.min(min, v[b]);
                max = Math.max(max, v[b]);
            }
        }
        StringBuilder sb = new StringBuilder(bars);
        for (double x : v) {
            if (Double.isNaN(x)) {
                sb.append(' ');
            } else {
                int i = max == min ? BARS.length / 2 : (int) Math.round((x - min) / (max - min) * (BARS.length - 1));
                sb.append(BARS[i]);
            }
        }
        return sb.toString();
    }

    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
