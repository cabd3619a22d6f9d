package io.mpipe.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a coverage-guided fuzz target with Jazzer (libFuzzer for the JVM, from Maven Central) in a
 * JVM of its own, for a bounded time, on the test's class path (which must hold Jazzer). A target
 * is a class with {@code public static void fuzzerTestOneInput(byte[])}; an exception it lets out
 * is a finding: Jazzer stops, writes the input that caused it under {@code target/fuzz}, and the run
 * fails with what it printed.
 */
public final class Fuzzer {
    private static final Pattern DONE = Pattern.compile("Done (\\d+) runs in (\\d+) second");

    /** What a run did: the inputs tried, in how many seconds. */
    public record Result(long runs, long seconds, String output) {
    }

    private Fuzzer() {
    }

    /**
     * Fuzzes {@code target} for {@code time} (the system property {@code fuzz.seconds} overrides
     * it), starting from the inputs in {@code seeds} (a directory, may be null).
     *
     * @throws AssertionError when the target let an exception out, with Jazzer's report
     */
    public static Result run(Class<?> target, Duration time, Path seeds) throws IOException, InterruptedException {
        long seconds = Long.getLong("fuzz.seconds", time.toSeconds());
        Path work = Path.of("target", "fuzz", target.getSimpleName());
        Files.createDirectories(work);
        Path corpus = work.resolve("corpus");
        Files.createDirectories(corpus);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), "com.code_intelligence.jazzer.Jazzer",
                "--target_class=" + target.getName(), "--instrumentation_includes=io.mpipe.**",
                "--reproducer_path=" + work.toAbsolutePath(), "-max_total_time=" + seconds, "-rss_limit_mb=2048",
                "-artifact_prefix=" + work.toAbsolutePath() + "/",
                corpus.toString()));
        if (seeds != null) {
            cmd.add(seeds.toString());
        }
        Path log = work.resolve("jazzer.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(seconds + 120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("fuzzing " + target.getSimpleName() + " did not end; see " + log);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError("fuzzing " + target.getSimpleName() + " found a failure (exit " + p.exitValue()
                    + "):\n" + tail(out));
        }
        Matcher m = DONE.matcher(out);
        if (!m.find()) {
            throw new AssertionError("fuzzing " + target.getSimpleName() + " did not say how many inputs it ran:\n"
                    + tail(out));
        }
        return new Result(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), out);
    }

    private static String tail(String s) {
        return s.length() <= 6_000 ? s : s.substring(s.length() - 6_000);
    }
}
