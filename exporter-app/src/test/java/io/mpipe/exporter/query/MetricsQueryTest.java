package io.mpipe.exporter.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.common.http.HttpError;
import io.mpipe.common.http.QueryString;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The query API's time range: its defaults, and a range that cannot hold anything. */
class MetricsQueryTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final long WINDOW = 15 * 60_000L;

    private static MetricsQuery parse(String query) {
        return MetricsQuery.parse(QueryString.of(URI.create("/api/v1/metrics?" + query)), NOW, NOW - WINDOW);
    }

    @Test
    void shouldLookAtTheWindowBeforeNowOrBeforeTo() {
        MetricsQuery byDefault = parse("name=up");
        assertThat(byDefault.from()).isEqualTo(NOW - WINDOW);
        assertThat(byDefault.to()).isEqualTo(NOW);

        // to alone: the window before it, not a range that ends before it begins
        MetricsQuery earlier = parse("name=up&to=" + (NOW - 86_400_000L));
        assertThat(earlier.to()).isEqualTo(NOW - 86_400_000L);
        assertThat(earlier.from()).isEqualTo(NOW - 86_400_000L - WINDOW);

        MetricsQuery both = parse("name=up&from=2026-11-27T00:00:00Z&to=2026-11-27T01:00:00Z");
        assertThat(both.to() - both.from()).isEqualTo(3_600_000L);
    }

    @Test
    void shouldRefuseARangeThatEndsBeforeItBegins() {
        assertThatThrownBy(() -> parse("name=up&from=10&to=5"))
                .isInstanceOfSatisfying(HttpError.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessage("from: 1970-01-01T00:00:00.010Z is after to: 1970-01-01T00:00:00.005Z");
        assertThatThrownBy(() -> MetricsQuery.parseLabelLookup(
                QueryString.of(URI.create("/api/v1/metrics/account?key=account&value=0.0.98&from=" + NOW)),
                NOW - 1, NOW - WINDOW))
                .isInstanceOf(HttpError.class).hasMessageStartingWith("from: ");
    }
}
