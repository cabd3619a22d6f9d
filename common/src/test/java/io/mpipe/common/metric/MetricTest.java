package io.mpipe.common.metric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricTest {

    @Test
    void shouldSortLabelsAndFreezeThem() {
        Map<String, String> in = new HashMap<>();
        in.put("zone", "b");
        in.put("account", "0.0.98");
        in.put("job", "x");
        Metric m = Metric.of("hedera_account_balance_tinybars", 1_700_000_000_000L, 5, in);
        assertThat(m.labels().keySet()).containsExactly("account", "job", "zone");
        in.put("late", "change");
        assertThat(m.labels()).doesNotContainKey("late");
        assertThatThrownBy(() -> m.labels().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void shouldTreatNaNAsEqualToItselfLikeAStoredSample() {
        Metric a = new Metric("up", 1, Double.NaN, Labels.EMPTY);
        Metric b = new Metric("up", 1, Double.NaN, Labels.of());
        assertThat(a).isEqualTo(b);
    }

    @Test
    void shouldDropLabelsWithEmptyValuesAsPrometheusDoes() {
        Metric m = Metric.of("up", 1, 1, Map.of("a", "", "b", "x"));
        assertThat(m.labels()).containsOnlyKeys("b");
        assertThat(m.seriesKey()).isEqualTo("up{b=\"x\"}");
    }

    @Test
    void shouldRejectInvalidNamesNamingTheField() {
        assertThatThrownBy(() -> new Metric("1abc", 1, 1, Labels.EMPTY))
                .isInstanceOfSatisfying(InvalidMetricException.class, e -> {
                    assertThat(e.field()).isEqualTo("name");
                    assertThat(e.reason()).contains("does not match");
                });
        assertThatThrownBy(() -> new Metric("has-dash", 1, 1, Labels.EMPTY)).hasMessageStartingWith("name:");
        assertThatThrownBy(() -> new Metric("", 1, 1, Labels.EMPTY)).hasMessageStartingWith("name:");
        assertThatThrownBy(() -> new Metric(null, 1, 1, Labels.EMPTY)).hasMessage("name: is required");
        assertThatThrownBy(() -> new Metric("a".repeat(MetricRules.MAX_NAME_LENGTH + 1), 1, 1, Labels.EMPTY))
                .hasMessageContaining("longer than");
    }

    @Test
    void shouldAcceptColonsInNamesButNotInLabelNames() {
        assertThat(new Metric("job:requests:rate5m", 1, 1, Labels.EMPTY).name()).isEqualTo("job:requests:rate5m");
        assertThatThrownBy(() -> Labels.of("a:b", "x"))
                .isInstanceOfSatisfying(InvalidMetricException.class, e -> assertThat(e.field()).isEqualTo("labels.a:b"));
    }

    @Test
    void shouldRejectBadLabels() {
        assertThatThrownBy(() -> Labels.of("__name__", "x")).hasMessageContaining("reserved");
        assertThatThrownBy(() -> Labels.of("9x", "x")).hasMessageContaining("labels.9x");
        assertThatThrownBy(() -> Labels.of("a", "x".repeat(MetricRules.MAX_LABEL_VALUE_LENGTH + 1)))
                .hasMessageContaining("labels.a").hasMessageContaining("longer than");
        assertThatThrownBy(() -> Labels.of("a", "1", "a", "2")).hasMessageContaining("more than once");
        Labels.Builder b = Labels.builder();
        for (int i = 0; i < MetricRules.MAX_LABELS; i++) {
            b.put("l" + i, "v");
        }
        assertThatThrownBy(() -> b.put("one_too_many", "v")).hasMessageContaining("more than 32 labels");
    }

    @Test
    void shouldRejectTimestampsOutsideTheSaneRange() {
        assertThatThrownBy(() -> new Metric("up", -1, 1, Labels.EMPTY))
                .isInstanceOfSatisfying(InvalidMetricException.class, e -> assertThat(e.field()).isEqualTo("timestamp"));
        assertThatThrownBy(() -> new Metric("up", MetricRules.MAX_TIMESTAMP_MS, 1, Labels.EMPTY))
                .hasMessageStartingWith("timestamp:");
        // nanoseconds mistaken for milliseconds
        assertThatThrownBy(() -> new Metric("up", 1_700_000_000_000_000_000L, 1, Labels.EMPTY))
                .hasMessageStartingWith("timestamp:");
        assertThat(new Metric("up", 0, 1, Labels.EMPTY).timestamp()).isZero();
    }

    @Test
    void shouldRejectLabelValuesPostgresCannotStoreNamingTheLabelAndThePlace() {
        assertThatThrownBy(() -> Labels.of("host", "a\u0000b"))
                .isInstanceOfSatisfying(InvalidMetricException.class, e -> {
                    assertThat(e.field()).isEqualTo("labels.host");
                    assertThat(e.reason()).contains("NUL").contains("index 1");
                });
        assertThatThrownBy(() -> Labels.of("host", "x\ud800")).hasMessageContaining("unpaired UTF-16 surrogate")
                .hasMessageContaining("d800");
        assertThatThrownBy(() -> Labels.of("host", "\udc00x")).hasMessageContaining("unpaired");
        assertThatThrownBy(() -> Labels.of("host", "\udbff\udbff\udc00")).hasMessageContaining("index 0");
        // a pair is one character outside the BMP, and other control characters are text
        assertThat(Labels.of("emoji", "\ud83d\ude00 ok", "tab", "a\tb\u0001").get("emoji")).isEqualTo("\ud83d\ude00 ok");
        assertThat(MetricRules.firstUnstorable("plain")).isEqualTo(-1);
        assertThat(MetricRules.firstUnstorable("")).isEqualTo(-1);
        assertThat(MetricRules.firstUnstorable("ab\ud800")).isEqualTo(2);
    }
}
