package io.mpipe.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Progress lines on stderr, result tables on stdout, and the JSON summary. */
public final class BenchOutput {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchOutput() {
    }

    public static void progress(String line) {
        System.err.println("[bench] " + line);
    }

    /** Prints rows of (name, value, unit/comment) as an aligned table. */
    public static void table(String title, List<String[]> rows) {
        int w0 = 0;
        int w1 = 0;
        for (String[] r : rows) {
            w0 = Math.max(w0, r[0].length());
            w1 = Math.max(w1, r[1].length());
        }
        System.out.println();
        System.out.println(title);
        System.out.println("-".repeat(Math.max(title.length(), w0 + w1 + 4)));
        for (String[] r : rows) {
            System.out.printf("%-" + w0 + "s  %" + w1 + "s  %s%n", r[0], r[1], r.length > 2 ? r[2] : "");
        }
        System.out.println();
    }

    public static String num(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (Math.abs(v) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /** {@code v} to three decimals, for the JSON summaries. */
    public static double round3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    /** A sample of a registry, 0 when it has none yet. */
    public static double sample(io.prometheus.client.CollectorRegistry r, String name) {
        Double v = r.getSampleValue(name);
        return v == null ? 0 : v;
    }

    public static void writeJson(Path file, Map<String, Object> summary) {
        try {
            JSON.writeValue(file.toFile(), summary);
            progress("wrote " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
    }

    /** A short description of the machine for reports. */
    public static String machine() {
        return Runtime.getRuntime().availableProcessors() + " cores, "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB max heap, Java " + System.getProperty("java.version")
                + ", " + System.getProperty("os.name") + " " + System.getProperty("os.arch");
    }
}
