package io.mpipe.sink.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.sink.dlq.DeadLetter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class BatchTest {
    private static final TopicPartition P0 = new TopicPartition("metrics", 0);
    private static final TopicPartition P1 = new TopicPartition("metrics", 1);

    private static final long DAY = 86_400_000L;

    private static Metric m(long ts) {
        return new Metric("m", ts, ts, Labels.EMPTY);
    }

    @Test
    void shouldTrackTheNextOffsetOfEveryPartitionWhetherStoredOrNot() {
        Batch b = new Batch(4, DAY);
        b.add(P0, 10, m(1), "m", 0);
        b.add(P0, 11, m(2), "m", 0);
        b.skipExpired(P0, 12, 0);
        b.addDeadLetter(P1, new DeadLetter("metrics", 1, 7, 0, null, new byte[0], null, "json", "bad"), 0);
        assertThat(b.size()).isEqualTo(2);
        assertThat(b.nextOffsets()).isEqualTo(Map.of(P0, 13L, P1, 8L));
        assertThat(b.deadLetters()).hasSize(1);
        assertThat(b.skippedRetention()).isEqualTo(1);
        assertThat(b.newestTimestamp()).isEqualTo(2);
    }

    @Test
    void shouldIndexDistinctSeriesAndTheTimePartitionsTheRowsNeed() {
        Batch b = new Batch(4, DAY);
        b.add(P0, 0, new Metric("a", DAY + 5, 1, Labels.EMPTY), "a", 0);
        b.add(P0, 1, new Metric("b", DAY + 6, 2, Labels.EMPTY), "b", 0);
        b.add(P0, 2, new Metric("a", 3 * DAY + 1, 3, Labels.EMPTY), "a", 0);
        assertThat(b.seriesKeys()).containsExactly("a", "b");
        assertThat(b.seriesOf(0)).isZero();
        assertThat(b.seriesOf(1)).isEqualTo(1);
        assertThat(b.seriesOf(2)).isZero();
        assertThat(b.value(1)).isEqualTo(2);
        assertThat(b.timestamp(2)).isEqualTo(3 * DAY + 1);
        assertThat(b.partitionStarts()).containsExactlyInAnyOrder(DAY, 3 * DAY);
    }

    @Test
    void shouldDropEverythingOfRevokedPartitions() {
        Batch b = new Batch(2, DAY);
        for (int i = 0; i < 100; i++) {
            b.add(i % 2 == 0 ? P0 : P1, i, m(i), "m", 0);
        }
        b.addDeadLetter(P1, new DeadLetter("metrics", 1, 200, 0, null, new byte[0], null, "json", "bad"), 0);
        b.removePartitions(List.of(P1));
        assertThat(b.size()).isEqualTo(50);
        for (int i = 0; i < 50; i++) {
            assertThat(b.timestamp(i) % 2).isZero();
            assertThat(b.value(i)).isEqualTo(b.timestamp(i));
        }
        assertThat(b.nextOffsets()).isEqualTo(Map.of(P0, 99L));
        assertThat(b.deadLetters()).isEmpty();
        assertThat(b.newestTimestamp()).isEqualTo(98);
        b.removePartitions(List.of(P0));
        assertThat(b.isEmpty()).isTrue();
        assertThat(b.createdAtMs()).isEqualTo(-1);
    }

    @Test
    void shouldTrackOffsetsOfManyPartitionsNamedByEqualButDistinctObjects() {
        Batch b = new Batch(4, 100, DAY);
        for (int i = 0; i < 300; i++) {
            b.add(new TopicPartition("metrics", i % 12), i, m(i), "m", 0);
        }
        Map<TopicPartition, Long> expected = new java.util.HashMap<>();
        for (int p = 0; p < 12; p++) {
            expected.put(new TopicPartition("metrics", p), 300L - 12 + p + 1);
        }
        assertThat(b.nextOffsets()).isEqualTo(expected);
        b.removePartitions(List.of(new TopicPartition("metrics", 3)));
        expected.remove(new TopicPartition("metrics", 3));
        assertThat(b.nextOffsets()).isEqualTo(expected);
        b.add(new TopicPartition("metrics", 3), 500, m(500), "m", 0); // assigned again
        expected.put(new TopicPartition("metrics", 3), 501L);
        assertThat(b.nextOffsets()).isEqualTo(expected);
        assertThat(b.size()).isEqualTo(300 - 25 + 1);
    }

    @Test
    void shouldCutEachPartitionAtItsFirstSampleNewerThanTheWatermarkAndCarryTheRest() {
        Batch b = new Batch(4, DAY);
        for (int i = 0; i < 10; i++) {
            b.add(P0, 100 + i, "a", 1_000 + i * 10L, i, 5); // P0 reaches 1,090
            b.add(P1, 200 + i, "b", 1_000 + i * 20L, -i, 5); // P1 reaches 1,180
        }
        b.skipExpired(P1, 210, 6);
        b.addDeadLetter(P1, new DeadLetter("metrics", 1, 211, 0, null, new byte[0], null, "json", "bad"), 6);
        b.add(P1, 212, "c", 1_020, 99, 6); // after P1's cut, though older than the watermark
        b.addDeadLetter(P1, new DeadLetter("metrics", 1, 203, 0, null, new byte[0], null, "json", "x"), 6);
        b.addDeadLetter(P0, new DeadLetter("metrics", 0, 111, 0, null, new byte[0], null, "json", "y"), 6);

        assertThat(b.rowsUpTo(1_090)).isEqualTo(15);
        Batch rest = b.cutAfter(1_090, 8);

        // kept: all of P0, P1 up to 1,080 (offsets 200..204); P1 stops at the offset of 1,100
        assertThat(b.size()).isEqualTo(15);
        assertThat(b.newestTimestamp()).isEqualTo(1_090);
        assertThat(b.nextOffsets()).isEqualTo(Map.of(P0, 112L, P1, 205L));
        assertThat(b.deadLetters()).extracting(DeadLetter::offset).containsExactlyInAnyOrder(203L, 111L);
        for (int r = 0; r < b.size(); r++) {
            assertThat(b.timestamp(r)).isLessThanOrEqualTo(1_090);
        }
        // carried: P1 from offset 205 on, in order, with its dead letter and its next offset
        assertThat(rest.size()).isEqualTo(6);
        assertThat(rest.nextOffsets()).isEqualTo(Map.of(P1, 213L));
        assertThat(rest.deadLetters()).extracting(DeadLetter::offset).containsExactly(211L);
        assertThat(rest.createdAtMs()).isEqualTo(5);
        assertThat(rest.newestTimestamp()).isEqualTo(1_180);
        long[] ts = new long[rest.size()];
        double[] values = new double[rest.size()];
        String[] series = new String[rest.size()];
        for (int r = 0; r < rest.size(); r++) {
            ts[r] = rest.timestamp(r);
            values[r] = rest.value(r);
            series[r] = rest.seriesKeys().get(rest.seriesOf(r));
        }
        assertThat(ts).containsExactly(1_100, 1_120, 1_140, 1_160, 1_180, 1_020);
        assertThat(values).containsExactly(-5, -6, -7, -8, -9, 99);
        assertThat(series).containsExactly("b", "b", "b", "b", "b", "c");
        // a later cut with nothing newer changes nothing
        assertThat(rest.cutAfter(2_000, 8)).isNull();
        assertThat(rest.size()).isEqualTo(6);
        assertThat(rest.nextOffsets()).isEqualTo(Map.of(P1, 213L));
    }

    @Test
    void shouldGiveTheRowsInTimestampOrderKeepingTheOrderOfEqualOnes() {
        Batch b = new Batch(4, DAY);
        java.util.Random r = new java.util.Random(3);
        long[] ts = new long[1_000];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = 1_764_000_000_000L + r.nextInt(200);
            b.add(i % 2 == 0 ? P0 : P1, i, m(ts[i]), "m", 0);
        }
        int[] order = b.rowsInTimeOrder();
        assertThat(order).hasSize(ts.length);
        assertThat(java.util.Arrays.stream(order).sorted().toArray()).isEqualTo(java.util.stream.IntStream.range(0, 1_000).toArray());
        for (int i = 1; i < order.length; i++) {
            assertThat(b.timestamp(order[i])).isGreaterThanOrEqualTo(b.timestamp(order[i - 1]));
            if (b.timestamp(order[i]) == b.timestamp(order[i - 1])) {
                assertThat(order[i]).isGreaterThan(order[i - 1]);
            }
        }
        Batch wide = new Batch(4, DAY); // 1970 to 2099 in one batch
        wide.add(P0, 0, m(4_000_000_000_000L), "m", 0);
        wide.add(P0, 1, m(0), "m", 0);
        wide.add(P0, 2, m(4_000_000_000_000L), "m", 0);
        wide.add(P0, 3, m(1), "m", 0);
        assertThat(wide.rowsInTimeOrder()).containsExactly(1, 3, 0, 2);
        assertThat(new Batch(4, DAY).rowsInTimeOrder()).isEmpty();
        // 2^21 rows from 1970 and 2099: too many to pack beside that span, still ordered
        int n = 1 << 21;
        Batch huge = new Batch(n, 365 * DAY);
        for (int i = 0; i < n; i++) {
            huge.add(P0, i, "m", i % 3 == 0 ? 4_000_000_000_000L + i : i, 1.0, 0);
        }
        int[] hugeOrder = huge.rowsInTimeOrder();
        for (int i = 1; i < n; i++) {
            assertThat(huge.timestamp(hugeOrder[i]) >= huge.timestamp(hugeOrder[i - 1])).isTrue();
        }
        assertThat(huge.timestamp(hugeOrder[n - 1])).isEqualTo(4_000_000_000_000L + n - 1 - (n - 1) % 3);
    }

    @Test
    void shouldGiveTheRowsInPrimaryKeyOrderKeepingTheOrderOfEqualKeys() {
        Batch b = new Batch(4, DAY);
        java.util.Random r = new java.util.Random(5);
        int series = 50;
        long[] ids = new long[series];
        for (int s = 0; s < series; s++) {
            ids[s] = 1 + r.nextInt(1_000_000); // ids in no relation to the order series first came in
        }
        for (int i = 0; i < 3_000; i++) {
            b.add(i % 3 == 0 ? P0 : P1, i, "s" + r.nextInt(series), 1_764_000_000_000L + r.nextInt(20), i, 0);
        }
        long[] idsBySeries = b.seriesKeys().stream().mapToLong(k -> ids[Integer.parseInt(k.substring(1))]).toArray();
        int[] order = b.rowsInKeyOrder(idsBySeries);
        assertThat(java.util.Arrays.stream(order).sorted().toArray()).isEqualTo(java.util.stream.IntStream.range(0, 3_000).toArray());
        for (int i = 1; i < order.length; i++) {
            int prev = order[i - 1];
            int cur = order[i];
            long idPrev = idsBySeries[b.seriesOf(prev)];
            long idCur = idsBySeries[b.seriesOf(cur)];
            assertThat(b.timestamp(cur)).isGreaterThanOrEqualTo(b.timestamp(prev));
            if (b.timestamp(cur) == b.timestamp(prev)) {
                assertThat(idCur).isGreaterThanOrEqualTo(idPrev);
                if (idCur == idPrev) {
                    assertThat(cur).isGreaterThan(prev); // a duplicate sample keeps its place
                }
            }
        }
        // ids too large to pack beside a position are ordered all the same
        Batch big = new Batch(4, DAY);
        big.add(P0, 0, "a", 7, 1.0, 0);
        big.add(P0, 1, "b", 7, 1.0, 0);
        big.add(P0, 2, "c", 7, 1.0, 0);
        big.add(P0, 3, "a", 7, 1.0, 0);
        big.add(P0, 4, "c", 6, 1.0, 0);
        assertThat(big.rowsInKeyOrder(new long[] {Long.MAX_VALUE, -1, Long.MAX_VALUE - 1})).containsExactly(4, 1, 2, 0, 3);
        assertThat(big.rowsInKeyOrder(new long[] {3, 1, 2})).containsExactly(4, 1, 2, 0, 3);
    }

    @Test
    void shouldBeDueWhenFullOrOldEnough() {
        MutableClock clock = new MutableClock();
        BatchPolicy p = new BatchPolicy(3, Duration.ofMillis(100), clock);
        Batch b = new Batch(3, DAY);
        assertThat(p.isDue(b)).isFalse();
        b.add(P0, 0, m(1), "m", p.now());
        assertThat(p.isDue(b)).isFalse();
        assertThat(p.millisUntilDue(b)).isEqualTo(100);
        clock.advance(99);
        assertThat(p.isDue(b)).isFalse();
        clock.advance(1);
        assertThat(p.isDue(b)).isTrue();

        Batch full = new Batch(3, DAY);
        for (int i = 0; i < 3; i++) {
            full.add(P0, i, m(i), "m", p.now());
        }
        assertThat(p.isFull(full)).isTrue();
        assertThat(p.isDue(full)).isTrue();
    }

    static final class MutableClock extends Clock {
        private long now = 1_000_000;

        void advance(long ms) {
            now += ms;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now);
        }
    }
}
