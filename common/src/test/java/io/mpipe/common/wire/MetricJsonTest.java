package io.mpipe.common.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.RandomMetrics;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MetricJsonTest {

    @Test
    void shouldRoundTripRandomMetrics() {
        Random r = new Random(7);
        for (int i = 0; i < 50_000; i++) {
            Metric m = RandomMetrics.next(r);
            Metric back = MetricJson.decode(MetricJson.encode(m));
            assertThat(back).isEqualTo(m);
            assertThat(Double.doubleToLongBits(back.value())).isEqualTo(Double.doubleToLongBits(m.value()));
        }
    }

    @Test
    void shouldWriteTheDocumentedShape() throws Exception {
        Metric m = new Metric("up", 1_700_000_000_123L, 1.5, Labels.of("job", "a\"b"));
        JsonNode n = new ObjectMapper().readTree(MetricJson.encode(m));
        assertThat(n.get("name").asText()).isEqualTo("up");
        assertThat(n.get("timestamp").asLong()).isEqualTo(1_700_000_000_123L);
        assertThat(n.get("value").asDouble()).isEqualTo(1.5);
        assertThat(n.get("labels").get("job").asText()).isEqualTo("a\"b");
    }

    @Test
    void shouldWriteSpecialValuesAsStrings() {
        assertThat(MetricJson.encodeToString(new Metric("m", 1, Double.NaN, Labels.EMPTY))).contains("\"value\":\"NaN\"");
        assertThat(MetricJson.encodeToString(new Metric("m", 1, Double.POSITIVE_INFINITY, Labels.EMPTY)))
                .contains("\"value\":\"+Inf\"");
        assertThat(MetricJson.encodeToString(new Metric("m", 1, Double.NEGATIVE_INFINITY, Labels.EMPTY)))
                .contains("\"value\":\"-Inf\"");
    }

    @Test
    void shouldReadWhatOtherClientsWrite() {
        // integers for values, no labels, extra fields, whitespace: what kcat or a Python script sends
        Metric m = MetricJson.decode("{ \"value\": 42, \"name\": \"temp\", \"timestamp\": 1700000000000, \"source\": \"py\" }");
        assertThat(m).isEqualTo(new Metric("temp", 1_700_000_000_000L, 42, Labels.EMPTY));
        assertThat(MetricJson.decode("{\"name\":\"t\",\"timestamp\":1,\"value\":1e3,\"labels\":null}").value()).isEqualTo(1000);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "not json                                                             | json      | ",
        "[1,2]                                                                | json      | expected a JSON object",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":1                          | json      | ",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":1} trailing                | json      | ",
        "{\"timestamp\":1,\"value\":1}                                        | name      | is required",
        "{\"name\":\"m\",\"value\":1}                                         | timestamp | is required",
        "{\"name\":\"m\",\"timestamp\":1}                                     | value     | is required",
        "{\"name\":5,\"timestamp\":1,\"value\":1}                             | name      | must be a string, not a number",
        "{\"name\":\"m\",\"timestamp\":\"1\",\"value\":1}                     | timestamp | must be an integer",
        "{\"name\":\"m\",\"timestamp\":1.5,\"value\":1}                       | timestamp | must be an integer",
        "{\"name\":\"m\",\"timestamp\":99999999999999999999,\"value\":1}      | timestamp | out of range",
        "{\"name\":\"m\",\"timestamp\":-5,\"value\":1}                        | timestamp | outside",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":\"12\"}                    | value     | is not one of NaN, +Inf, -Inf",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":true}                      | value     | not a boolean",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":1e400}                     | value     | beyond the range of a double",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":-1e309,\"labels\":{}}      | value     | beyond the range of a double",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":1,\"labels\":{\"a\":\"\\u0000\"}} | labels.a | NUL",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":1,\"labels\":{\"a\":\"\\ud800\"}} | labels.a | unpaired UTF-16 surrogate",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":1,\"labels\":[]}           | labels    | must be an object, not an array",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":1,\"labels\":{\"a\":1}}    | labels.a  | must be a string, not a number",
        "{\"name\":\"m-x\",\"timestamp\":1,\"value\":1}                       | name      | does not match",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":1,\"labels\":{\"a-b\":\"x\"}} | labels.a-b | label name does not match",
        "{\"name\":\"m\",\"name\":\"n\",\"timestamp\":1,\"value\":1}          | name      | appears more than once",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":1,\"value\":2}          | value     | appears more than once",
        "{\"name\":\"m\",\"timestamp\":1,\"value\":1,\"labels\":{\"a\":\"1\",\"a\":\"2\"}} | labels.a | more than once",
    })
    void shouldRejectMalformedInputNamingTheFieldAndReason(String json, String field, String reason) {
        assertThatThrownBy(() -> MetricJson.decode(json.trim()))
                .isInstanceOfSatisfying(MetricDecodeException.class, e -> {
                    assertThat(e.field()).isEqualTo(field);
                    if (reason != null) {
                        assertThat(e.reason()).contains(reason.trim());
                    }
                });
    }

    @Test
    void shouldRejectOversizedLabelSets() {
        StringBuilder sb = new StringBuilder("{\"name\":\"m\",\"timestamp\":1,\"value\":1,\"labels\":{");
        for (int i = 0; i < 40; i++) {
            sb.append(i == 0 ? "" : ",").append("\"l").append(i).append("\":\"v\"");
        }
        sb.append("}}");
        assertThatThrownBy(() -> MetricJson.decode(sb.toString()))
                .isInstanceOfSatisfying(MetricDecodeException.class, e -> {
                    assertThat(e.field()).isEqualTo("labels");
                    assertThat(e.reason()).contains("more than 32 labels");
                });
        byte[] huge = ("{\"name\":\"m\",\"timestamp\":1,\"value\":1,\"labels\":{\"a\":\"" + "x".repeat(70_000) + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> MetricJson.decode(huge)).hasMessageContaining("more than 65536");
    }

    @Test
    void shouldRejectNullValues() {
        assertThatThrownBy(() -> MetricJson.decode((byte[]) null))
                .isInstanceOfSatisfying(MetricDecodeException.class, e -> assertThat(e.field()).isEqualTo("value"));
    }
}
