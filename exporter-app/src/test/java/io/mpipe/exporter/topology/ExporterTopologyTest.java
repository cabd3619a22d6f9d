package io.mpipe.exporter.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricJson;
import io.mpipe.exporter.store.SeriesPool;
import io.mpipe.exporter.store.SeriesSnapshot;
import io.mpipe.exporter.store.SeriesWindow;
import io.mpipe.exporter.store.StoreSettings;
import io.mpipe.exporter.store.StoreStats;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ExporterTopologyTest {
    private static final Instant START = Instant.parse("2026-11-27T12:00:00Z");
    private static final long T0 = START.toEpochMilli();

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> input;
    private SeriesPool pool;
    private Counter invalid;

    private void start(int maxSeries, int cap) {
        StoreStats stats = new StoreStats();
        pool = new SeriesPool(new StoreSettings(Duration.ofMinutes(15), maxSeries, cap, Duration.ofMinutes(5)), stats);
        CollectorRegistry registry = new CollectorRegistry();
        RecordCount processed = new RecordCount();
        invalid = Counter.build("i_total", "i").register(registry);
        var topology = ExporterTopology.build(new ExporterTopology.Settings("metrics", pool, null,
                Duration.ofSeconds(30), processed, invalid));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "exporter-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(topology, props, START);
        input = driver.createInputTopic("metrics", new ByteArraySerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private void send(String name, long ts, double value) {
        Metric m = new Metric(name, ts, value, Labels.of("job", "test"));
        input.pipeInput(m.seriesKey().getBytes(StandardCharsets.UTF_8), MetricJson.encode(m));
    }

    private static String key(String name) {
        return name + "{job=\"test\"}";
    }

    private List<Long> timestamps(String name) {
        SeriesSnapshot s = pool.get(key(name), Long.MIN_VALUE, Long.MAX_VALUE, 10_000);
        return s.samples().stream().map(SeriesWindow.Sample::timestamp).toList();
    }

    @Test
    void shouldDropSamplesThatLeaveTheWindowAndSeriesLeftEmpty() {
        start(100, 1000);
        send("a", T0 - 60_000, 1);
        send("a", T0, 2);
        send("b", T0 - 10 * 60_000, 3);
        send("too_old", T0 - 16 * 60_000, 4); // outside the 15 min window already
        assertThat(pool.seriesCount()).isEqualTo(2);
        assertThat(pool.stats().droppedSamples()).isEqualTo(1);

        driver.advanceWallClockTime(Duration.ofMinutes(6)); // now T0+6m: cutoff T0-9m drops b
        assertThat(pool.contains(key("b"))).isFalse();
        assertThat(timestamps("a")).containsExactly(T0, T0 - 60_000);

        driver.advanceWallClockTime(Duration.ofMinutes(9).plusSeconds(30)); // cutoff T0+30s: a is gone
        assertThat(pool.seriesCount()).isZero();
        assertThat(pool.stats().expiredSeries()).isEqualTo(2);
    }

    @Test
    void shouldEvictTheLeastRecentlyUsedWhereAQueryAndASampleAreBothAUse() {
        start(3, 10);
        send("a", T0, 1);
        send("b", T0, 1);
        send("c", T0, 1);
        assertThat(pool.get(key("a"), T0, T0, 1)).isNotNull(); // a read makes a the most recent
        send("d", T0, 1); // evicts b
        assertThat(pool.keysByRecency()).containsExactly(key("c"), key("a"), key("d"));
        send("c", T0 + 1, 2); // a write makes c the most recent
        send("e", T0, 1); // evicts a
        assertThat(pool.keysByRecency()).containsExactly(key("d"), key("c"), key("e"));
        assertThat(pool.stats().evictions()).isEqualTo(2);
        assertThat(pool.seriesCount()).isEqualTo(3);
    }

    @Test
    void aSeriesThatComesBackAfterItsEvictionOrExpiryStartsAFreshWindow() {
        // the processor keeps each series' window with the decoder's memory of the series; a window
        // the store has let go of must not take samples again
        start(2, 10);
        send("a", T0 - 2000, 1);
        send("b", T0, 1);
        send("a", T0 - 1000, 2); // a is the most recent: its window came from the decoder
        send("c", T0, 1); // evicts b
        send("b", T0 + 1, 2); // b again: evicts a, and is a new series with only this sample
        assertThat(timestamps("b")).containsExactly(T0 + 1);
        assertThat(pool.keysByRecency()).containsExactly(key("c"), key("b"));
        send("a", T0 + 2, 3);
        assertThat(timestamps("a")).containsExactly(T0 + 2);
        assertThat(pool.keysByRecency()).containsExactly(key("b"), key("a"));
        assertThat(pool.stats().evictions()).isEqualTo(3);
        assertThat(pool.sampleCount()).isEqualTo(2);

        driver.advanceWallClockTime(Duration.ofMinutes(15).plusSeconds(30)); // every sample leaves the window
        assertThat(pool.seriesCount()).isZero();
        driver.advanceWallClockTime(Duration.ofSeconds(30));
        long now = START.toEpochMilli() + Duration.ofMinutes(16).toMillis();
        send("a", now, 4);
        assertThat(timestamps("a")).containsExactly(now);
        assertThat(pool.keysByRecency()).containsExactly(key("a"));
    }

    @Test
    void shouldNotCountAScrapeAsAUse() {
        start(2, 10);
        send("a", T0, 1);
        send("b", T0, 1);
        pool.forEachLatest(T0, l -> { });
        send("c", T0, 1); // a is still the least recent
        assertThat(pool.keysByRecency()).containsExactly(key("b"), key("c"));
    }

    @Test
    void shouldKeepAtMostTheCapOfNewestSamplesPerSeries() {
        start(10, 5);
        for (int i = 0; i < 10; i++) {
            send("a", T0 - 10_000 + i * 1000, i);
        }
        assertThat(timestamps("a")).containsExactly(T0 - 1000, T0 - 2000, T0 - 3000, T0 - 4000, T0 - 5000);
    }

    @Test
    void shouldStoreOutOfOrderAndReplayedSamplesInOrderWithoutMovingTheLatestBack() {
        start(10, 4);
        send("a", T0 - 3000, 1);
        send("a", T0 - 1000, 3);
        send("a", T0 - 2000, 2); // out of order
        assertThat(timestamps("a")).containsExactly(T0 - 1000, T0 - 2000, T0 - 3000);
        send("a", T0 - 2000, 20); // replayed with a new value: replaced, not added
        SeriesSnapshot s = pool.get(key("a"), Long.MIN_VALUE, Long.MAX_VALUE, 10);
        assertThat(s.samples()).extracting(SeriesWindow.Sample::value).containsExactly(3.0, 20.0, 1.0);
        send("a", T0 - 4000, 0); // older, still room
        send("a", T0 - 5000, -1); // older than everything while full: dropped
        assertThat(timestamps("a")).containsExactly(T0 - 1000, T0 - 2000, T0 - 3000, T0 - 4000);
        send("a", T0 - 1500, 15); // inside while full: the oldest goes
        assertThat(timestamps("a")).containsExactly(T0 - 1000, T0 - 1500, T0 - 2000, T0 - 3000);
        pool.forEachLatest(T0, l -> assertThat(l.timestamp()).isEqualTo(T0 - 1000));
    }

    @Test
    void shouldCountHitsMissesAndEvictions() {
        start(2, 10);
        send("a", T0, 1);
        send("b", T0, 1);
        pool.get(key("a"), T0, T0, 1); // hit
        pool.get(key("nope"), T0, T0, 1); // miss
        send("c", T0, 1); // evicts b
        pool.get(key("b"), T0, T0, 1); // miss
        assertThat(pool.find("c", w -> true, T0, T0, 10)).hasSize(1); // hit
        assertThat(pool.stats().hits()).isEqualTo(2);
        assertThat(pool.stats().misses()).isEqualTo(2);
        assertThat(pool.stats().evictions()).isEqualTo(1);
        assertThat(pool.stats().hitRate()).isEqualTo(0.5);
    }

    @Test
    void shouldFindSeriesByNameThroughTheIndexAfterEvictionsAndExpiry() {
        start(3, 10);
        send("a", T0, 1);
        send("b", T0, 1);
        send("a2", T0, 1);
        send("c", T0, 1); // evicts a
        assertThat(pool.find("a", w -> true, T0, T0, 10)).isEmpty();
        assertThat(pool.find("b", w -> true, T0, T0, 10)).extracting(SeriesSnapshot::name).containsExactly("b");
        assertThat(pool.find(null, w -> w.name().startsWith("a"), T0, T0, 10)).extracting(SeriesSnapshot::name)
                .containsExactly("a2");
        driver.advanceWallClockTime(Duration.ofMinutes(16)); // everything expires
        assertThat(pool.find("b", w -> true, Long.MIN_VALUE, Long.MAX_VALUE, 10)).isEmpty();
    }

    @Test
    void shouldSkipAndCountRecordsThatAreNotMetrics() {
        start(10, 10);
        input.pipeInput("k".getBytes(StandardCharsets.UTF_8), "not json".getBytes(StandardCharsets.UTF_8));
        send("a", T0, 1);
        assertThat(invalid.get()).isEqualTo(1.0);
        assertThat(pool.seriesCount()).isEqualTo(1);
    }

    @Test
    void shouldHideSeriesThatReceivedNothingForStaleAfterFromTheScrape() {
        start(10, 10);
        send("a", T0, 1);
        driver.advanceWallClockTime(Duration.ofMinutes(4));
        send("b", T0 + 4 * 60_000, 1);
        driver.advanceWallClockTime(Duration.ofMinutes(2)); // a received nothing for 6 min
        List<String> exported = new java.util.ArrayList<>();
        pool.forEachLatest(T0 + 6 * 60_000, l -> exported.add(l.name()));
        assertThat(exported).containsExactly("b");
        assertThat(pool.contains(key("a"))).isTrue(); // still in the window, still queryable
    }
}
