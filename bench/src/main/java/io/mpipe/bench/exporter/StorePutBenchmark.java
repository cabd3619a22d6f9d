package io.mpipe.bench.exporter;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricJson;
import io.mpipe.common.wire.SampleDecoder;
import io.mpipe.exporter.store.SeriesPool;
import io.mpipe.exporter.store.SeriesWindow;
import io.mpipe.exporter.store.StoreSettings;
import io.mpipe.exporter.store.StoreStats;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The exporter's stream thread without Kafka Streams: a record of one of 10,000 series (in turn,
 * as the pipeline's synthetic load sends them) decoded and stored, each series at its cap of
 * samples (each new one drops the oldest). Each record gets the next timestamp written into its
 * bytes before it is decoded, as a consumer gets a fresh record. Two ways: the window looked up by
 * the series key in the store's map, and the window the decoder keeps for the series (what the
 * exporter does).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StorePutBenchmark {
    static final int SERIES = 10_000;
    private static final int CAP = 64;
    private final byte[][] keys = new byte[SERIES][];
    private final byte[][] values = new byte[SERIES][];
    /** Where each record's 13 timestamp digits start. */
    private final int[] timestampAt = new int[SERIES];
    private SeriesPool pool;
    private SampleDecoder decoder;
    private long timestamp;
    private int next;

    @Setup
    public void setup() {
        timestamp = 1_764_000_000_000L;
        for (int s = 0; s < SERIES; s++) {
            Metric m = new Metric("synthetic_level_" + s % 100, timestamp, 50.25 + s % 1000,
                    Labels.of("host", "host-" + (s / 100) % 50, "series", Integer.toString(s / 100)));
            keys[s] = m.seriesKey().getBytes(StandardCharsets.UTF_8);
            values[s] = MetricJson.encode(m);
            timestampAt[s] = new String(values[s], StandardCharsets.ISO_8859_1).indexOf(Long.toString(timestamp));
        }
        pool = new SeriesPool(new StoreSettings(Duration.ofMinutes(15), 100_000, CAP, Duration.ofMinutes(5)),
                new StoreStats());
        decoder = new SampleDecoder();
    }

    /** The next record: the next series in turn, its timestamp the next millisecond. */
    private byte[] nextRecord() {
        int s = next;
        next = s + 1 == SERIES ? 0 : s + 1;
        long ts = ++timestamp;
        byte[] b = values[s];
        for (int i = timestampAt[s] + 12; i >= timestampAt[s]; i--) {
            b[i] = (byte) ('0' + ts % 10);
            ts /= 10;
        }
        return b;
    }

    @Benchmark
    public SeriesWindow putThroughTheMap() {
        int s = next;
        decoder.decode(keys[s], nextRecord());
        return pool.put(0, decoder.key(), null, decoder.timestamp(), decoder.value(), timestamp, decoder::metric);
    }

    @Benchmark
    public SeriesWindow putWithTheDecodersWindow() {
        int s = next;
        decoder.decode(keys[s], nextRecord());
        Object known = decoder.attachment();
        SeriesWindow w = pool.put(0, decoder.key(), (SeriesWindow) known, decoder.timestamp(), decoder.value(),
                timestamp, decoder::metric);
        if (w != known && w != null) {
            decoder.attach(w);
        }
        return w;
    }
}
