package io.mpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.cli.query.ExporterClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueryCommandTest {

    private static List<ExporterClient.Sample> newestFirst(double... oldestFirst) {
        List<ExporterClient.Sample> out = new ArrayList<>();
        for (int i = oldestFirst.length - 1; i >= 0; i--) {
            out.add(new ExporterClient.Sample("up", Map.of("job", "api"), 1_000L * i, oldestFirst[i]));
        }
        return out;
    }

    @Test
    void shouldDrawTheValuesOldestFirstFromLowestToHighestBar() {
        List<ExporterClient.Sample> s = newestFirst(0, 1, 2, 3, 4, 5, 6, 7);
        List<ExporterClient.Sample> oldestFirst = new ArrayList<>(s);
        java.util.Collections.reverse(oldestFirst);
        assertThat(QueryCommand.sparkline(oldestFirst, 40)).isEqualTo("▁▂▃▄▅▆▇█");
        // 8 samples in 4 bars: each the mean of two
        assertThat(QueryCommand.sparkline(oldestFirst, 4)).isEqualTo("▁▃▆█");
        assertThat(QueryCommand.sparkline(List.of(oldestFirst.get(0), oldestFirst.get(0)), 4)).isEqualTo("▅▅");
    }

    @Test
    void shouldPutASeriesARowWithItsSpanExtremesAndLatest() {
        String table = QueryCommand.table(newestFirst(3, 1, 4, 1, 5), 40);
        assertThat(table.lines().toList()).hasSize(2);
        assertThat(table).startsWith("SERIES").contains("up{job=\"api\"}").contains("1970-01-01T00:00:00Z")
                .contains("1970-01-01T00:00:04Z").containsPattern("\\s5\\s+5\\s+▅▁▆▁█");
    }
}
