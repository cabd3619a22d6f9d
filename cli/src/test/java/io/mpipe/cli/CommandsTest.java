package io.mpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commands as a user meets them where no broker is needed: usage errors, replay dry runs, progress. */
class CommandsTest {

    @Test
    void shouldCallAMissingNameForATimestampValueFileAUsageError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cpu.csv");
        Files.writeString(file, "timestamp,value\n2014-02-14 14:27:00,0.1\n");
        CommandRun r = CommandRun.of("replay", "--dry-run", file.toString());
        assertThat(r.exit()).isEqualTo(Pipeline.USAGE);
        assertThat(r.err()).startsWith("--name: " + file + " is a timestamp,value (csv-ts) file, which names no metric");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void shouldSayHowManyRecordsTheConfigsRetentionWouldSkip(@TempDir Path dir) throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Path file = dir.resolve("cpu.csv");
        Files.writeString(file, "timestamp,value\n"
                + now.minus(40, ChronoUnit.DAYS) + ",1\n"
                + now.minus(35, ChronoUnit.DAYS) + ",2\n"
                + now.minus(1, ChronoUnit.DAYS) + ",3\n");
        CommandRun byDefault = CommandRun.of("replay", "--dry-run", "--name", "cpu", file.toString());
        assertThat(byDefault.exit()).isEqualTo(Pipeline.OK);
        assertThat(byDefault.out()).contains("good 3 (dry run: nothing sent)")
                .contains("note: 2 of the 3 good records are older than sink.retention (30d by default; the oldest"
                        + " from " + now.minus(40, ChronoUnit.DAYS) + ")");

        Path config = dir.resolve("config.yaml");
        Files.writeString(config, "sink:\n  retention: 36d\n");
        CommandRun longer = CommandRun.of("replay", "--dry-run", "--config", config.toString(), "--name", "cpu", file.toString());
        assertThat(longer.out()).contains("note: 1 of the 3 good records is older than sink.retention (36d in " + config + ";");

        Files.writeString(config, "sink:\n  retention: 100d\n");
        CommandRun none = CommandRun.of("replay", "--dry-run", "--config", config.toString(), "--name", "cpu", file.toString());
        assertThat(none.out()).doesNotContain("note:");
    }

    @Test
    void shouldPrintProgressEveryTenSecondsWhenStderrIsNotATerminal() {
        assertThat(ReplayCommand.ProgressPrinter.stderrIsTerminal()).as("the test's stderr is a pipe").isFalse();
        PrintStream stderr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            ReplayCommand.ProgressPrinter p = new ReplayCommand.ProgressPrinter();
            p.update(1_000, 10, 100, java.time.Duration.ofSeconds(1));
            p.update(10_000, 25, 100, java.time.Duration.ofSeconds(10));
            p.update(15_000, 40, 100, java.time.Duration.ofSeconds(15));
            p.update(20_000, 50, 100, java.time.Duration.ofSeconds(20));
            p.finish();
        } finally {
            System.setErr(stderr);
        }
        assertThat(err.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                "replay: 10,000 records  1,000/s   25%  ETA 30s",
                "replay: 20,000 records  1,000/s   50%  ETA 20s");
    }

    @Test
    void shouldSayWhatASinkStartInstantMustLookLike() {
        CommandRun r = CommandRun.of("sink", "--from", "notadate");
        assertThat(r.exit()).isEqualTo(Pipeline.USAGE);
        assertThat(r.err()).startsWith("Invalid value for option '--from': 'notadate' is not an ISO-8601"
                + " instant with its zone, e.g. 2026-11-01T00:00:00Z");
    }

    @Test
    void shouldCallAFileThatCannotBeReadAUsageError(@TempDir Path dir) throws Exception {
        CommandRun directory = CommandRun.of("replay", "--dry-run", dir.toString());
        assertThat(directory.exit()).isEqualTo(Pipeline.USAGE);
        assertThat(directory.err()).startsWith("FILE: " + dir + " cannot be read: ");

        Path broken = dir.resolve("broken.jsonl.gz");
        Files.write(broken, new byte[] {0x1f, (byte) 0x8b, 0x00, 0x00});
        CommandRun gzip = CommandRun.of("replay", "--dry-run", broken.toString());
        assertThat(gzip.exit()).isEqualTo(Pipeline.USAGE);
        assertThat(gzip.err()).startsWith("FILE: " + broken + " cannot be read: ");
    }
}
