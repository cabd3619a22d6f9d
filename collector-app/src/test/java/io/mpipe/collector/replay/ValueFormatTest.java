package io.mpipe.collector.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValueFormatTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource({
        // PostgreSQL float8 output
        "1.5, 1.5", "-2, -2", "1e+20, 1e20", "1.5e-07, 1.5e-7", "0, 0", "-0, -0.0",
        "NaN, NaN", "Infinity, Infinity", "-Infinity, -Infinity",
        // Prometheus and OpenMetrics text
        "+Inf, Infinity", "-Inf, -Infinity", "nan, NaN", "inf, Infinity", "1027, 1027", ".5, 0.5", "5., 5",
        "+3.25E2, 325",
    })
    void shouldReadValuesAsTheExportersWriteThem(String text, double expected) {
        assertThat(Double.valueOf(ValueFormat.parse(text))).isEqualTo(Double.valueOf(expected));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource({"abc", "' 1.5'", "1.5d", "0x1p3", "'1,5'", "-NaN", "Infinite", "1e", "1e1000", "--1", "''"})
    void shouldRejectAnythingElse(String text) {
        assertThatThrownBy(() -> ValueFormat.parse(text)).hasMessageStartingWith("value: ");
    }
}
