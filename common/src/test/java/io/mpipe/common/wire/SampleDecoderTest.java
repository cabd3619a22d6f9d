package io.mpipe.common.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;
import io.mpipe.common.metric.RandomMetrics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The decoder gives the key, timestamp, value and metric the full decoder gives, and refuses what it
 * refuses with the same field and reason.
 */
class SampleDecoderTest {
    private final SampleDecoder decoder = new SampleDecoder();

    /** What the full decoder makes of {@code b}: key, timestamp, value and metric, or the error. */
    private static String expected(byte[] b) {
        try {
            Metric m = MetricJson.decode(b);
            String key = m.seriesKey();
            MetricRules.checkSeriesKey(key);
            return key + " | " + m.timestamp() + " | " + Double.doubleToLongBits(m.value()) + " | " + m;
        } catch (MetricDecodeException e) {
            return e.field() + ": " + e.reason();
        } catch (InvalidMetricException e) {
            return e.field() + ": " + e.reason();
        }
    }

    /** What the decoder makes of it; a record it accepts must give a metric without a further error. */
    private String actual(byte[] b) {
        try {
            decoder.decode(b);
        } catch (MetricDecodeException e) {
            return e.field() + ": " + e.reason();
        }
        return decoder.key() + " | " + decoder.timestamp() + " | " + Double.doubleToLongBits(decoder.value())
                + " | " + decoder.metric();
    }

    private void check(byte[] b) {
        assertThat(actual(b)).as(new String(b, StandardCharsets.UTF_8)).isEqualTo(expected(b));
    }

    /** As {@link #actual}, with a record key as the hint. */
    private String actual(byte[] keyHint, byte[] b) {
        try {
            decoder.decode(keyHint, b);
        } catch (MetricDecodeException e) {
            return e.field() + ": " + e.reason();
        }
        return decoder.key() + " | " + decoder.timestamp() + " | " + Double.doubleToLongBits(decoder.value())
                + " | " + decoder.metric();
    }

    private void check(byte[] keyHint, byte[] b) {
        assertThat(actual(keyHint, b)).as(new String(b, StandardCharsets.UTF_8)).isEqualTo(expected(b));
    }

    @Test
    void shouldReadWhatTheWriterWritesWithoutTheParser() {
        Metric m = new Metric("hedera_account_balance_tinybars", 1_700_000_000_123L, 1.5e10,
                Labels.of("network", "mainnet", "account", "0.0.98"));
        decoder.decode(MetricJson.encode(m));
        assertThat(decoder.key()).isEqualTo("hedera_account_balance_tinybars{account=\"0.0.98\",network=\"mainnet\"}");
        assertThat(decoder.timestamp()).isEqualTo(1_700_000_000_123L);
        assertThat(decoder.value()).isEqualTo(1.5e10);
        assertThat(decoder.metric()).isEqualTo(m);
    }

    @Test
    void shouldAgreeWithTheFullDecoderOnRandomMetricsAndEveryMutationOfThem() {
        Random r = new Random(5);
        byte[] special = "\"{}:,.-+eE0 9\\a".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 5_000; i++) {
            byte[] b = MetricJson.encode(RandomMetrics.next(r));
            check(b);
            check(Arrays.copyOf(b, r.nextInt(b.length)));
            byte[] changed = b.clone();
            changed[r.nextInt(b.length)] = special[r.nextInt(special.length)];
            check(changed);
        }
    }

    @Test
    void shouldReadAKnownSeriesFromItsTimestampAndValueAndGiveTheSameKeyString() {
        Metric first = new Metric("up", 1_700_000_000_000L, 1, Labels.of("job", "node", "instance", "a:9100"));
        byte[] hint = first.seriesKey().getBytes(StandardCharsets.UTF_8);
        decoder.decode(hint, MetricJson.encode(first));
        String key = decoder.key();
        Metric next = new Metric("up", 1_700_000_015_000L, Double.NaN, first.labels());
        decoder.decode(hint, MetricJson.encode(next));
        assertThat(decoder.key()).isSameAs(key);
        assertThat(decoder.timestamp()).isEqualTo(1_700_000_015_000L);
        assertThat(decoder.value()).isNaN();
        assertThat(decoder.metric()).isEqualTo(next);
        // another series under the same record key is read as what it is
        Metric other = new Metric("up", 1_700_000_030_000L, 0, Labels.of("job", "node", "instance", "b:9100"));
        decoder.decode(hint, MetricJson.encode(other));
        assertThat(decoder.key()).isEqualTo(other.seriesKey());
        assertThat(decoder.metric()).isEqualTo(other);
        // the series in use kept its place
        decoder.decode(hint, MetricJson.encode(next));
        assertThat(decoder.key()).isSameAs(key);
    }

    @Test
    void shouldRememberThousandsOfSeriesWhoseKeysDifferInOneCharacter() {
        List<Metric> series = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            series.add(new Metric("hedera_account_balance_tinybars", 1_764_000_000_000L, i,
                    Labels.of("network", "mainnet", "account", "0.0." + (1000 + i), "label", "treasury-" + (i % 10))));
        }
        List<String> first = new ArrayList<>();
        for (Metric m : series) {
            decoder.decode(m.seriesKey().getBytes(StandardCharsets.UTF_8), MetricJson.encode(m));
            first.add(decoder.key());
        }
        int same = 0;
        for (int i = 0; i < series.size(); i++) {
            Metric m = series.get(i);
            Metric later = new Metric(m.name(), m.timestamp() + 15_000, m.value() + 1, m.labels());
            decoder.decode(m.seriesKey().getBytes(StandardCharsets.UTF_8), MetricJson.encode(later));
            assertThat(decoder.key()).isEqualTo(first.get(i));
            same += decoder.key() == first.get(i) ? 1 : 0;
        }
        // 5,000 series in 32,768 slots: only the few in a full set are read in full again
        assertThat(same).isGreaterThan(4_800);
    }

    @Test
    void aDecoderWithOneSetRemembersFourSeriesAndReadsAFifthInFull() {
        SampleDecoder small = new SampleDecoder(SampleDecoder.WAYS);
        List<Metric> four = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Metric m = new Metric("m" + i, 1_764_000_000_000L, i, Labels.EMPTY);
            four.add(m);
            keys.add(decodeKey(small, m));
        }
        for (int i = 0; i < 4; i++) {
            assertThat(decodeKey(small, later(four.get(i)))).isSameAs(keys.get(i)); // read again: in use
        }
        Metric fifth = new Metric("m4", 1_764_000_000_000L, 4, Labels.EMPTY);
        String keyOfFifth = decodeKey(small, fifth); // no slot free of a series in use: read, not remembered
        for (int i = 0; i < 4; i++) {
            assertThat(decodeKey(small, later(four.get(i)))).isSameAs(keys.get(i));
        }
        String again = decodeKey(small, later(fifth));
        assertThat(again).isEqualTo(keyOfFifth).isNotSameAs(keyOfFifth);
        assertThat(small.timestamp()).isEqualTo(later(fifth).timestamp());
        assertThat(small.value()).isEqualTo(4.0);
    }

    @Test
    void entriesShorterAndLongerThanAnArenaBlockAreKnownAndTheirSlotsTakeEitherInTurn() {
        SampleDecoder small = new SampleDecoder(SampleDecoder.WAYS);
        String longValue = "v".repeat(SampleDecoder.BLOCK);
        List<Metric> series = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            // alternately short and long: every slot of the one set holds each kind in turn
            Labels labels = i % 2 == 0 ? Labels.of("i", Integer.toString(i))
                    : Labels.of("i", Integer.toString(i), "long", longValue);
            series.add(new Metric("m", 1_764_000_000_000L, i, labels));
        }
        assertThat(MetricJson.encode(series.get(0)).length).isLessThan(SampleDecoder.BLOCK);
        assertThat(MetricJson.encode(series.get(1)).length).isGreaterThan(SampleDecoder.BLOCK + 20);
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < series.size(); i += 4) {
                List<Metric> four = series.subList(i, i + 4);
                // from any state of the set, two passes reading each of four series twice put all four
                // in it, each marked in use (a series is remembered unmarked, and a newcomer takes the
                // first unmarked slot, so a series is safe once read again)
                for (int pass = 0; pass < 2; pass++) {
                    for (Metric m : four) {
                        decodeKey(small, m);
                        decodeKey(small, later(m));
                        assertThat(small.metric()).isEqualTo(later(m));
                    }
                }
                List<String> keys = new ArrayList<>();
                for (Metric m : four) {
                    keys.add(decodeKey(small, later(m)));
                }
                for (int k = 0; k < 4; k++) {
                    Metric next = new Metric("m", four.get(k).timestamp() + 30_000 + round, -k, four.get(k).labels());
                    assertThat(decodeKey(small, next)).isSameAs(keys.get(k));
                    assertThat(small.timestamp()).isEqualTo(next.timestamp());
                    assertThat(small.value()).isEqualTo(-k);
                    assertThat(small.metric()).isEqualTo(next);
                }
            }
        }
    }

    @Test
    void anAttachmentComesBackWithTheSeriesWhileTheDecoderRemembersIt() {
        SampleDecoder small = new SampleDecoder(SampleDecoder.WAYS);
        Metric a = new Metric("a", 1_764_000_000_000L, 1, Labels.EMPTY);
        decodeKey(small, a);
        assertThat(small.attachment()).isNull();
        small.attach("window of a");
        assertThat(decodeKey(small, later(a))).isEqualTo(a.seriesKey());
        assertThat(small.attachment()).isEqualTo("window of a");
        Metric b = new Metric("b", 1_764_000_000_000L, 1, Labels.EMPTY);
        decodeKey(small, b);
        assertThat(small.attachment()).as("another series").isNull();
        small.attach("window of b");
        decodeKey(small, a);
        assertThat(small.attachment()).isEqualTo("window of a");
        // without the key hint the series is not looked up: nothing to give back, and nothing is attached
        small.decode(MetricJson.encode(a));
        assertThat(small.attachment()).isNull();
        small.attach("not kept");
        decodeKey(small, a);
        assertThat(small.attachment()).isEqualTo("window of a");
        // a record that is not valid has no series
        assertThatThrownBy(() -> small.decode(a.seriesKey().getBytes(StandardCharsets.UTF_8),
                "{\"name\":\"a\"}".getBytes(StandardCharsets.UTF_8))).isInstanceOf(MetricDecodeException.class);
        assertThat(small.attachment()).isNull();
        // the set fills with series in use; a newcomer clears their marks and is not remembered, so it
        // has nothing attached and attaches nothing
        for (String n : List.of("c", "d")) {
            Metric m = new Metric(n, 1_764_000_000_000L, 1, Labels.EMPTY);
            decodeKey(small, m);
            decodeKey(small, later(m));
        }
        decodeKey(small, b);
        Metric e = new Metric("e", 1_764_000_000_000L, 1, Labels.EMPTY);
        decodeKey(small, e);
        assertThat(small.attachment()).isNull();
        small.attach("not kept either");
        // the next newcomer takes the first slot (a's, unmarked now): a's attachment goes with a
        decodeKey(small, later(e));
        assertThat(small.attachment()).isNull();
        decodeKey(small, later(later(e)));
        assertThat(small.attachment()).isNull();
        decodeKey(small, b);
        assertThat(small.attachment()).isEqualTo("window of b");
        decodeKey(small, a);
        assertThat(small.attachment()).as("a was forgotten").isNull();
    }

    @Test
    void aTableHasAPowerOfTwoSlotsAndAtLeastOneSet() {
        assertThatThrownBy(() -> new SampleDecoder(6)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slots: 6");
        assertThatThrownBy(() -> new SampleDecoder(SampleDecoder.WAYS / 2)).isInstanceOf(IllegalArgumentException.class);
    }

    private static String decodeKey(SampleDecoder d, Metric m) {
        d.decode(m.seriesKey().getBytes(StandardCharsets.UTF_8), MetricJson.encode(m));
        return d.key();
    }

    private static Metric later(Metric m) {
        return new Metric(m.name(), m.timestamp() + 15_000, m.value(), m.labels());
    }

    @Test
    void shouldAgreeWithTheFullDecoderOnKnownSeriesAndEveryMutationOfThem() {
        Random r = new Random(7);
        byte[] special = "\"{}:,.-+eE0 9\\a".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 5_000; i++) {
            Metric m = RandomMetrics.next(r);
            byte[] hint = (r.nextInt(10) == 0 ? "some other key" : m.seriesKey()).getBytes(StandardCharsets.UTF_8);
            check(hint, MetricJson.encode(m)); // remembered
            long ts = r.nextLong(MetricRules.MAX_TIMESTAMP_MS);
            double[] values = {r.nextDouble() * 1e6, -r.nextInt(1000), Double.NaN, Double.NEGATIVE_INFINITY, 0.1};
            byte[] same = MetricJson.encode(new Metric(m.name(), ts, values[r.nextInt(values.length)], m.labels()));
            if (r.nextInt(20) == 0) { // a timestamp at or past the bound, which a Metric cannot hold
                same = new String(same, StandardCharsets.UTF_8).replace("\"timestamp\":" + ts,
                        "\"timestamp\":" + (MetricRules.MAX_TIMESTAMP_MS + r.nextInt(3) - 1)).getBytes(StandardCharsets.UTF_8);
            }
            check(hint, same); // read as the known series
            check(hint, Arrays.copyOf(same, r.nextInt(same.length)));
            byte[] changed = same.clone();
            changed[r.nextInt(same.length)] = special[r.nextInt(special.length)];
            check(hint, changed);
            byte[] inserted = new byte[same.length + 1];
            int at = r.nextInt(same.length);
            System.arraycopy(same, 0, inserted, 0, at);
            inserted[at] = special[r.nextInt(special.length)];
            System.arraycopy(same, at, inserted, at + 1, same.length - at);
            check(hint, inserted);
            check(hint, same); // still known after a refused record
        }
    }

    @Test
    void shouldAgreeOnLabelsInAnyOrderEmptyValuesAndNamesThatBreakTheRules() {
        Random r = new Random(9);
        String[] labelNames = {"a", "b", "ab", "a_b", "Z", "_x", "1bad", "a-b", "", "le", "a:b", "__x", "_", "x".repeat(101)};
        String[] values = {"v", "", "0.0.98", "x y", "{}", "=", ",", "a=b", "v".repeat(1025)};
        String[] names = {"m", "up", "a:b", "9bad", "a-b", "", "x{y", "bench_metric_1", ":x", "_", "n".repeat(201),
            "n".repeat(200)};
        for (int i = 0; i < 5_000; i++) {
            List<String> pairs = new ArrayList<>();
            int n = r.nextInt(5);
            for (int j = 0; j < n; j++) {
                pairs.add("\"" + labelNames[r.nextInt(labelNames.length)] + "\":\"" + values[r.nextInt(values.length)]
                        + "\"");
            }
            if (r.nextBoolean()) {
                Collections.sort(pairs);
            }
            long ts = r.nextInt(10) == 0 ? MetricRules.MAX_TIMESTAMP_MS + r.nextInt(3) - 1 : 1_700_000_000_000L + i;
            String json = "{\"name\":\"" + names[r.nextInt(names.length)] + "\",\"timestamp\":" + ts
                    + ",\"value\":" + (r.nextInt(100) - 50) / 8.0 + ",\"labels\":{" + String.join(",", pairs) + "}}";
            check(json.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldAgreeOnTheLabelCountBound() {
        for (int n : new int[] {31, 32, 33, 40}) {
            List<String> pairs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                pairs.add(String.format("\"l%02d\":\"v\"", i));
            }
            check(("{\"name\":\"m\",\"timestamp\":1,\"value\":1,\"labels\":{" + String.join(",", pairs) + "}}")
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldAcceptOnlyTheSeriesKeyAsTheRecordKey() {
        Metric ascii = new Metric("m", 1, 1, Labels.of("a", "x", "b", "y"));
        Metric unicode = new Metric("m", 1, 1, Labels.of("city", "Zürich \ud83d\ude00", "q", "a\"b"));
        for (Metric m : List.of(ascii, unicode)) {
            byte[] key = m.seriesKey().getBytes(StandardCharsets.UTF_8);
            decoder.decode(key, MetricJson.encode(m));
            decoder.checkKey(key); // twice: the second time the series is known
            decoder.decode(key, MetricJson.encode(m));
            decoder.checkKey(key);
        }
        byte[] value = MetricJson.encode(ascii);
        decoder.decode(value);
        assertThatThrownBy(() -> decoder.checkKey(null)).isInstanceOfSatisfying(MetricDecodeException.class,
                e -> assertThat(e.field() + ": " + e.reason()).isEqualTo("key: is missing; it must be the series key "
                        + ascii.seriesKey()));
        assertThatThrownBy(() -> decoder.checkKey(new byte[0])).hasMessageStartingWith("key: is empty");
        for (String wrong : List.of("m{a=\"x\",b=\"z\"}", "m{b=\"y\",a=\"x\"}", "m", "m{a=\"x\",b=\"y\"} ",
                "m{a=\"x\",b=\"\u00fc\"}")) {
            assertThatThrownBy(() -> decoder.checkKey(wrong.getBytes(StandardCharsets.UTF_8)))
                    .as(wrong).hasMessageContaining("is not the series key of the value");
        }
        assertThat(SampleDecoder.isKey("\u00fc".getBytes(StandardCharsets.ISO_8859_1), "\u00fc")).isFalse();
    }

    @Test
    void shouldRefuseAKeyLongerThanTheBound() {
        String longValue = "v".repeat(1000);
        Metric m = new Metric("m", 1, 1, Labels.of("a", longValue, "b", longValue, "c", longValue));
        assertThatThrownBy(() -> decoder.decode(MetricJson.encode(m)))
                .isInstanceOf(MetricDecodeException.class)
                .hasMessageContaining("series key is");
    }

    @Test
    void shouldParseDecimalsExactlyAsParseDouble() {
        Random r = new Random(13);
        List<String> numbers = new ArrayList<>(List.of("0", "-0", "0.0", "-0.0", "1", "0.1", "0.3", "-2.5",
                "123456789012345", "1234567890123456", "0.000000000000001", "999999999999999.9",
                "1.7976931348623157E308", "4.9E-324", "9007199254740993", "3.141592653589793"));
        for (int i = 0; i < 20_000; i++) {
            numbers.add(Double.toString(r.nextInt(3) == 0 ? r.nextLong() / Math.pow(10, r.nextInt(20))
                    : (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(40) - 20)));
            StringBuilder digits = new StringBuilder(r.nextBoolean() ? "-" : "");
            digits.append(1 + r.nextInt(9));
            int len = r.nextInt(20);
            for (int j = 0; j < len; j++) {
                digits.append(r.nextInt(10));
            }
            int point = r.nextInt(digits.length() + 1);
            if (point > 1) {
                digits.insert(point, '.');
            }
            numbers.add(digits.toString().endsWith(".") ? digits + "0" : digits.toString());
        }
        for (String s : numbers) {
            byte[] b = s.getBytes(StandardCharsets.US_ASCII);
            double expected = Double.parseDouble(s);
            double actual = CanonicalJson.parseDouble(b, 0, b.length);
            assertThat(Double.doubleToRawLongBits(actual)).as(s).isEqualTo(Double.doubleToRawLongBits(expected));
        }
    }
}
