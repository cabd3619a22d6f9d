package io.mpipe.collector.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.testsupport.Fuzzer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Coverage-guided fuzzing of the replay parsers, bounded in time ({@code -Dfuzz.seconds}; 10 s by default). */
class ReplayFuzzTest {

    @Test
    void replayParsersAnswerEveryLineWithoutAnException(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("jsonl"), "\u0000{\"name\":\"up\",\"timestamp\":1700000000000,\"value\":1}",
                StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("csv"), "\u0001up,2026-11-27 06:00:00.123+00,1.5,\"{\"\"a\"\": \"\"b\"\"}\"",
                StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("csv-ts"), "\u00022014-02-14 14:27:00,51.846", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("openmetrics"), "\u0003http_requests_total{code=\"200\"} 1027 1395066363000",
                StandardCharsets.UTF_8);
        Fuzzer.Result r = Fuzzer.run(ReplayParsersFuzz.class, Duration.ofSeconds(10), dir);
        System.out.printf("fuzz: ReplayParsersFuzz ran %,d inputs in %d s%n", r.runs(), r.seconds());
        assertThat(r.runs()).isPositive();
    }
}
