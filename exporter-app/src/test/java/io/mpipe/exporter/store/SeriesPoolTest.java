package io.mpipe.exporter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A query's cost bounds: series matched, samples copied. */
class SeriesPoolTest {
    private static final long NOW = 1_800_000_000_000L;

    private static SeriesPool pool(int maxSeries, int cap) {
        return new SeriesPool(new StoreSettings(Duration.ofHours(1), maxSeries, cap, Duration.ofMinutes(5)),
                new StoreStats());
    }

    @Test
    void shouldRefuseAQueryMatchingMoreSeriesThanItsBoundAndCopyNothing() {
        SeriesPool pool = pool(10_000, 10);
        for (int i = 0; i < 2_000; i++) {
            Metric m = new Metric("flood", NOW - 1_000, i, Labels.of("i", Integer.toString(i)));
            pool.put(0, m.seriesKey(), m, NOW);
        }
        assertThatThrownBy(() -> pool.find(null, w -> true, 0, NOW, 10_000, 1_000))
                .isInstanceOfSatisfying(SeriesPool.TooManySeriesException.class, e -> assertThat(e.max()).isEqualTo(1_000));
        assertThat(pool.stats().hits()).as("nothing was used").isZero();
        assertThat(pool.find("flood", w -> w.labels().get("i").startsWith("1"), 0, NOW, 5, 1_111).keys())
                .hasSize(1_111);
    }

    @Test
    void shouldAnswerTheNewestLimitSamplesAcrossSeriesInTheOrderOfAMerge() {
        SeriesPool pool = pool(1_000, 100);
        Random r = new Random(3);
        List<long[]> all = new ArrayList<>(); // {ts, series}
        for (int s = 0; s < 50; s++) {
            for (int k = 0; k < 60; k++) {
                long ts = NOW - 1_000L * r.nextInt(600); // many series share a millisecond
                Metric m = new Metric("m", ts, s * 1000 + k, Labels.of("s", String.format("%02d", s)));
                pool.put(0, m.seriesKey(), m, NOW);
            }
        }
        List<long[]> expected = new ArrayList<>();
        for (SeriesSnapshot snap : pool.find("m", w -> true, 0, NOW, Integer.MAX_VALUE)) {
            for (SeriesWindow.Sample sample : snap.samples()) {
                expected.add(new long[] {sample.timestamp(), Long.parseLong(snap.labels().get("s"))});
            }
        }
        expected.sort(Comparator.<long[]>comparingLong(a -> -a[0]).thenComparingLong(a -> a[1]));
        for (int limit : new int[] {1, 7, 100, 1_000, 5_000}) {
            SeriesPool.Found found = pool.find("m", w -> true, 0, NOW, limit, 1_000);
            List<long[]> got = new ArrayList<>();
            for (SeriesSnapshot snap : found.series()) {
                for (SeriesWindow.Sample sample : snap.samples()) {
                    got.add(new long[] {sample.timestamp(), Long.parseLong(snap.labels().get("s"))});
                }
            }
            got.sort(Comparator.<long[]>comparingLong(a -> -a[0]).thenComparingLong(a -> a[1]));
            List<long[]> want = expected.subList(0, Math.min(limit, expected.size()));
            assertThat(got).as("limit %d", limit).hasSize(want.size());
            for (int i = 0; i < want.size(); i++) {
                assertThat(got.get(i)).as("limit %d, sample %d", limit, i).containsExactly(want.get(i));
            }
            assertThat(found.keys()).hasSize(50);
        }
    }
}
