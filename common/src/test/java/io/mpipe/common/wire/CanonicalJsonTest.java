package io.mpipe.common.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;
import io.mpipe.common.metric.RandomMetrics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast path decodes what the writer writes, and never disagrees with Jackson. */
class CanonicalJsonTest {

    /** The outcome of decoding: the metric, or the field and reason of the error. */
    private static Object outcome(java.util.function.Supplier<Metric> decode) {
        try {
            return decode.get();
        } catch (MetricDecodeException e) {
            return e.field() + ": " + e.reason();
        }
    }

    private static void assertSameAsJackson(byte[] b) {
        Object fast = outcome(() -> MetricJson.decode(b));
        Object jackson = outcome(() -> MetricJson.decodeWithJackson(b, 0, b.length));
        if (fast instanceof Metric && jackson instanceof Metric) {
            assertThat(fast).as(new String(b, StandardCharsets.UTF_8)).isEqualTo(jackson);
        } else {
            assertThat(fast).as(new String(b, StandardCharsets.UTF_8)).hasSameClassAs(jackson);
        }
    }

    @Test
    void shouldTakeTheFastPathForWhatTheWriterWrites() {
        Metric m = new Metric("hedera_account_balance_tinybars", 1_700_000_000_123L, 1.5e10,
                Labels.of("account", "0.0.98", "network", "mainnet"));
        byte[] b = MetricJson.encode(m);
        assertThat(CanonicalJson.tryDecode(b, 0, b.length)).isEqualTo(m);
        Metric nan = new Metric("up", 0, Double.NaN, Labels.EMPTY);
        byte[] nb = MetricJson.encode(nan);
        assertThat(CanonicalJson.tryDecode(nb, 0, nb.length)).isEqualTo(nan);
    }

    @Test
    void shouldLeaveEverythingElseToJackson() {
        for (String other : new String[] {
            "{ \"name\":\"m\",\"timestamp\":1,\"value\":1,\"labels\":{}}",
            "{\"timestamp\":1,\"name\":\"m\",\"value\":1,\"labels\":{}}",
            "{\"name\":\"m\",\"timestamp\":1,\"value\":1}",
            "{\"name\":\"m\",\"timestamp\":1,\"value\":1e3,\"labels\":{\"a\":\"x\\\"y\"}}",
            "{\"name\":\"m\",\"timestamp\":1,\"value\":01,\"labels\":{}}",
            "{\"name\":\"m\",\"timestamp\":-1,\"value\":1,\"labels\":{}}",
            "{\"name\":\"m\",\"timestamp\":1,\"value\":1,\"labels\":{\"a\":\"é\"}}",
            "{\"name\":\"m\",\"timestamp\":1,\"value\":1,\"labels\":{}} "}) {
            byte[] b = other.getBytes(StandardCharsets.UTF_8);
            assertThat(CanonicalJson.tryDecode(b, 0, b.length)).as(other).isNull();
        }
    }

    @Test
    void shouldEncodeByteForByteAsJackson() {
        Random r = new Random(17);
        int fast = 0;
        for (int i = 0; i < 20_000; i++) {
            Metric m = RandomMetrics.next(r);
            if (r.nextInt(4) == 0) { // plain ASCII label values as well, so the fast path is taken often
                m = new Metric(m.name(), m.timestamp(), m.value(), Labels.of("host", "host-" + i, "region", "r" + (i % 7)));
            }
            byte[] expected = MetricJson.encodeWithJackson(m);
            byte[] actual = MetricJson.encode(m);
            assertThat(new String(actual, StandardCharsets.UTF_8)).isEqualTo(new String(expected, StandardCharsets.UTF_8));
            fast += CanonicalJson.tryEncode(m) != null ? 1 : 0;
        }
        assertThat(fast).as("metrics encoded without Jackson").isGreaterThan(5_000);
    }

    @Test
    void shouldWriteTimestampsOfEveryLengthAsJacksonDoes() {
        List<Long> timestamps = new ArrayList<>(List.of(0L, MetricRules.MAX_TIMESTAMP_MS - 1));
        for (long p = 1; p < MetricRules.MAX_TIMESTAMP_MS; p *= 10) {
            timestamps.addAll(List.of(p - 1, p, p + 1));
        }
        for (long ts : timestamps) {
            Metric m = new Metric("m", ts, 1.5, Labels.of("host", "a"));
            assertThat(CanonicalJson.tryEncode(m)).as("fast path for %d", ts).isNotNull();
            assertThat(new String(MetricJson.encode(m), StandardCharsets.UTF_8)).as("timestamp %d", ts)
                    .isEqualTo(new String(MetricJson.encodeWithJackson(m), StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldAgreeWithJacksonOnRandomMetricsAndEveryMutationOfThem() {
        Random r = new Random(3);
        for (int i = 0; i < 3_000; i++) {
            byte[] b = MetricJson.encode(RandomMetrics.next(r));
            assertSameAsJackson(b);
            // truncations, and single bytes changed to characters that matter to the grammar
            byte[] special = "\"{}:,.-+eE0 9\\".getBytes(StandardCharsets.US_ASCII);
            int pos = r.nextInt(b.length);
            assertSameAsJackson(java.util.Arrays.copyOf(b, pos));
            byte[] changed = b.clone();
            changed[pos] = special[r.nextInt(special.length)];
            assertSameAsJackson(changed);
        }
    }
}
