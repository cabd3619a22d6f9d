package io.mpipe.common.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.common.metric.SeriesKeyFuzz;
import io.mpipe.testsupport.Fuzzer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coverage-guided fuzzing of the wire format's decoders, bounded in time ({@code -Dfuzz.seconds}
 * sets how long each target runs; 10 s by default). Each says how many inputs it ran.
 */
class WireFuzzTest {
    private static final Duration TIME = Duration.ofSeconds(10);

    /** A few valid records to start from: the fuzzer mutates them into the interesting corners. */
    private static Path seeds(Path dir) throws Exception {
        Files.writeString(dir.resolve("canonical"), "{\"name\":\"up\",\"timestamp\":1700000000000,\"value\":1.5,"
                + "\"labels\":{\"job\":\"api\",\"zone\":\"a\"}}", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("escapes"), "\u0096up{a=\"x\\\"y\\\\z\\n\"}{\"name\":\"up\",\"timestamp\":1,"
                + "\"value\":\"NaN\",\"labels\":{\"a\":\"x\\\"y\\\\z\\n\",\"b\":\"\u00fc\"}}", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("key"), "up{job=\"api\",zone=\"a\"}", StandardCharsets.UTF_8);
        return dir;
    }

    private static void fuzz(Class<?> target, Path seeds) throws Exception {
        Fuzzer.Result r = Fuzzer.run(target, TIME, seeds);
        System.out.printf("fuzz: %s ran %,d inputs in %d s%n", target.getSimpleName(), r.runs(), r.seconds());
        assertThat(r.runs()).isPositive();
    }

    @Test
    void sampleDecoderAgreesWithTheFullDecoderAndThrowsOnlyItsTypedError(@TempDir Path dir) throws Exception {
        fuzz(SampleDecoderFuzz.class, seeds(dir));
    }

    @Test
    void metricJsonThrowsOnlyItsTypedErrorAndRoundTripsWhatItAccepts(@TempDir Path dir) throws Exception {
        fuzz(MetricJsonFuzz.class, seeds(dir));
    }

    @Test
    void seriesKeyParserThrowsOnlyItsTypedErrorAndRoundTripsWhatItAccepts(@TempDir Path dir) throws Exception {
        fuzz(SeriesKeyFuzz.class, seeds(dir));
    }
}
