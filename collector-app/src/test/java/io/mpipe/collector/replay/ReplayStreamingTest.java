package io.mpipe.collector.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.collector.replay.ReplayLine.Good;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayStreamingTest {
    private static final int LINES = 1_000_000;
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void shouldReadAMillionJsonLinesInBoundedMemoryAndQuickly() throws IOException {
        Path file = dir.resolve("million");
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < LINES; i++) {
                w.write("{\"name\":\"replay_test_gauge\",\"timestamp\":" + (T0 + i) + ",\"value\":" + i
                        + ".5,\"labels\":{\"host\":\"host-" + (i % 100) + "\",\"series\":\"" + (i % 7) + "\"}}\n");
            }
        }
        long baseline = usedHeapAfterGc();
        long highest = 0;
        long count = 0;
        long gcNanos = 0;
        long start = System.nanoTime();

        try (ReplayReader reader = ReplayReader.open(file, ReplayOptions.detect())) {
            assertThat(reader.format()).isEqualTo(ReplayFormat.JSONL);
            while (reader.hasNext()) {
                ReplayLine line = reader.next();
                // checked by hand: AssertJ per line would dominate the time measured
                if (!(line instanceof Good good) || good.line() != count + 1 || good.metric().timestamp() != T0 + count) {
                    throw new AssertionError("line " + (count + 1) + ": " + line);
                }
                count++;
                if (count % 250_000 == 0) {
                    long gcStart = System.nanoTime();
                    highest = Math.max(highest, usedHeapAfterGc());
                    gcNanos += System.nanoTime() - gcStart;
                }
            }
            assertThat(reader.bytesRead()).isEqualTo(Files.size(file));
        }
        Duration reading = Duration.ofNanos(System.nanoTime() - start - gcNanos);

        assertThat(count).isEqualTo(LINES);
        // a million decoded metrics held in memory would take hundreds of megabytes
        assertThat(highest - baseline).as("heap growth in bytes").isLessThan(32L << 20);
        assertThat(reading).as("time to read %,d lines", LINES).isLessThan(Duration.ofSeconds(30));
    }

    private static long usedHeapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }
}
