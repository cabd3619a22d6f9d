package io.mpipe.collector.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.collector.replay.ReplayLine.Good;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.testsupport.TestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Reads the real Numenta Anomaly Benchmark series kept beside the repository in
 * {@code testdata/nab} ({@code timestamp,value}, zone-less UTC timestamps) and checks the
 * result against the file text, parsed here independently of the reader.
 */
class ReplayNabTest {

    @Test
    void shouldReadEveryNabSeriesLineForLine() throws IOException {
        Path dir = TestData.dir("nab");
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(f -> f.getFileName().toString().endsWith(".csv")).sorted().toList();
        }
        assertThat(files).isNotEmpty();

        for (Path file : files) {
            List<String> text = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<Integer> dataLines = new ArrayList<>(); // 1-based numbers of the data lines
            for (int i = 0; i < text.size(); i++) {
                if (!text.get(i).isBlank() && !(i == 0 && text.get(i).equals("timestamp,value"))) {
                    dataLines.add(i + 1);
                }
            }
            String series = file.getFileName().toString().replace(".csv", "");
            ReplayOptions options = new ReplayOptions(null, "nab_value", Labels.of("series", series));

            List<Good> good = new ArrayList<>();
            try (ReplayReader reader = ReplayReader.open(file, options)) {
                assertThat(reader.format()).as(series).isEqualTo(ReplayFormat.CSV_TS);
                reader.forEachRemaining(line -> {
                    assertThat(line).as(series).isInstanceOf(Good.class);
                    good.add((Good) line);
                });
                assertThat(reader.bytesRead()).isEqualTo(Files.size(file));
            }

            assertThat(good).as(series).hasSize(dataLines.size());
            int first = dataLines.get(0);
            int last = dataLines.get(dataLines.size() - 1);
            assertThat(good.get(0)).as(series).isEqualTo(expected(first, text.get(first - 1), series));
            assertThat(good.get(good.size() - 1)).as(series).isEqualTo(expected(last, text.get(last - 1), series));
        }
    }

    private static Good expected(int line, String text, String series) {
        String[] parts = text.split(",");
        long ts = LocalDateTime.parse(parts[0].replace(' ', 'T')).toInstant(ZoneOffset.UTC).toEpochMilli();
        return new Good(line, new Metric("nab_value", ts, Double.parseDouble(parts[1]), Labels.of("series", series)));
    }
}
