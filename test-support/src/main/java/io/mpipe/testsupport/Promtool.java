package io.mpipe.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus's own {@code promtool} (Debian's {@code prometheus} package), as a real client that
 * checks an exposition. Tests that need it fail, naming the package, when it is not installed:
 * they are never skipped.
 */
public final class Promtool {

    private Promtool() {
    }

    /** The promtool on the PATH. */
    public static Path find() {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, "promtool");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException("promtool is not on the PATH: install Debian's prometheus package"
                + " (apt-get install prometheus); .ci/run does");
    }

    /** Runs {@code promtool check metrics} on the file; null when it passes, else what it said. */
    public static String check(Path promtool, Path exposition) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics")
                .redirectInput(exposition.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "promtool did not finish in 30 s";
        }
        return p.exitValue() == 0 ? null : "promtool exit " + p.exitValue() + ": " + new String(out, StandardCharsets.UTF_8);
    }
}
