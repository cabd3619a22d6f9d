package io.mpipe.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The repository's {@code testdata/} directory: real mirror-node responses
 * ({@code hedera-mirror/}) and real metric series ({@code nab/}), found from any module's
 * working directory.
 */
public final class TestData {

    private TestData() {
    }

    /** {@code testdata/<name>}; fails when it is missing, so no test silently skips. */
    public static Path dir(String name) {
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            Path candidate = p.resolve("testdata").resolve(name);
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no testdata/" + name + " in " + start + " or above");
    }

    /** The repository's root directory (the one holding {@code bin/pipeline}). */
    public static Path repoRoot() {
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("bin").resolve("pipeline"))) {
                return p;
            }
        }
        throw new IllegalStateException("no bin/pipeline in " + start + " or above");
    }
}
