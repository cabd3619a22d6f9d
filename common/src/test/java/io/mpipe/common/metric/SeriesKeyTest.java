package io.mpipe.common.metric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SeriesKeyTest {

    @Test
    void shouldFormatTheCanonicalKeyWithSortedLabels() {
        Metric m = Metric.of("http_requests_total", 1, 1,
                java.util.Map.of("method", "GET", "code", "200", "path", "/api"));
        assertThat(m.seriesKey()).isEqualTo("http_requests_total{code=\"200\",method=\"GET\",path=\"/api\"}");
    }

    @Test
    void shouldBeJustTheNameWithoutLabels() {
        assertThat(SeriesKey.format("up", Labels.EMPTY)).isEqualTo("up");
        assertThat(SeriesKey.parse("up")).isEqualTo(new SeriesKey.Parsed("up", Labels.EMPTY));
    }

    @Test
    void shouldEscapeAsThePrometheusTextFormatDoes() {
        Labels l = Labels.of("v", "a\\b\"c\nd");
        assertThat(SeriesKey.format("m", l)).isEqualTo("m{v=\"a\\\\b\\\"c\\nd\"}");
    }

    @Test
    void shouldRoundTripRandomKeys() {
        Random r = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            Metric m = RandomMetrics.next(r);
            String key = m.seriesKey();
            SeriesKey.Parsed p = SeriesKey.parse(key);
            assertThat(p.name()).isEqualTo(m.name());
            assertThat(p.labels()).isEqualTo(m.labels());
            assertThat(SeriesKey.format(p.name(), p.labels())).isEqualTo(key);
        }
    }

    @Test
    void shouldSortLabelsGivenOutOfOrder() {
        SeriesKey.Parsed p = SeriesKey.parse("m{b=\"2\",a=\"1\"}");
        assertThat(SeriesKey.format(p.name(), p.labels())).isEqualTo("m{a=\"1\",b=\"2\"}");
    }

    @Test
    void shouldRejectMalformedKeysWithThePosition() {
        assertThatThrownBy(() -> SeriesKey.parse("m{a=\"1\"")).hasMessageContaining("closing");
        assertThatThrownBy(() -> SeriesKey.parse("m{a=1}")).hasMessageContaining("expected '\"' at position 4");
        assertThatThrownBy(() -> SeriesKey.parse("m{a=\"1\\x\"}")).hasMessageContaining("unknown escape");
        assertThatThrownBy(() -> SeriesKey.parse("m{a=\"1\"b=\"2\"}")).hasMessageContaining("expected ','");
        assertThatThrownBy(() -> SeriesKey.parse("m{a=\"1}")).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> SeriesKey.parse("9m")).hasMessageStartingWith("name:");
        assertThatThrownBy(() -> SeriesKey.parse("")).hasMessageContaining("empty");
    }
}
