package io.mpipe.bench.serde;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricJson;
import io.mpipe.common.wire.SampleDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
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
 * Throughput of the wire format: encode, decode, and the round trip, on metrics shaped like the
 * pipeline's own (a name, 3-4 labels, ~170 bytes of JSON). Operations per second = records per
 * second on one thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MetricSerdeBenchmark {
    private static final int N = 1024;
    private final Metric[] metrics = new Metric[N];
    private final byte[][] encoded = new byte[N][];
    /** Record keys, and values of 64 series, 16 samples each (what a consumer sees again and again). */
    private final byte[][] keys = new byte[N][];
    private final byte[][] repeated = new byte[N][];
    private final SampleDecoder decoder = new SampleDecoder();
    private int i;
    /** 10,000 series, 8 samples each, in turn: a consumer's decoder whose known series are out of the cache. */
    private static final int MANY_SERIES = 10_000;
    private final byte[][] manyKeys = new byte[8 * MANY_SERIES][];
    private final byte[][] manyValues = new byte[8 * MANY_SERIES][];
    private final SampleDecoder manyDecoder = new SampleDecoder();
    private int j;

    @Setup
    public void setup() {
        Random r = new Random(1);
        long now = 1_764_000_000_000L;
        for (int k = 0; k < N; k++) {
            metrics[k] = new Metric("hedera_account_balance_tinybars", now + k, r.nextLong() / 1e3,
                    Labels.of("network", "mainnet", "account", "0.0." + (1000 + k), "label", "treasury-" + (k % 10)));
            encoded[k] = MetricJson.encode(metrics[k]);
        }
        for (int k = 0; k < N; k++) {
            Metric m = metrics[k % 64];
            keys[k] = m.seriesKey().getBytes(StandardCharsets.UTF_8);
            repeated[k] = MetricJson.encode(new Metric(m.name(), now + N + k, r.nextInt(1_000_000) / 100.0, m.labels()));
        }
        Metric[] many = new Metric[MANY_SERIES];
        for (int s = 0; s < MANY_SERIES; s++) {
            many[s] = new Metric("synthetic_level_" + s % 100, now, 0,
                    Labels.of("host", "host-" + (s / 100) % 50, "series", Integer.toString(s / 100)));
        }
        for (int k = 0; k < manyValues.length; k++) {
            Metric m = many[k % MANY_SERIES];
            manyKeys[k] = m.seriesKey().getBytes(StandardCharsets.UTF_8);
            manyValues[k] = MetricJson.encode(new Metric(m.name(), now + k, r.nextInt(1_000_000) / 100.0, m.labels()));
        }
    }

    @Benchmark
    public byte[] encode() {
        return MetricJson.encode(metrics[i++ & (N - 1)]);
    }

    @Benchmark
    public Metric decode() {
        return MetricJson.decode(encoded[i++ & (N - 1)]);
    }

    /** What the sink and the exporter do with a record value: key, timestamp and value, checked in full. */
    @Benchmark
    public String decodeSample() {
        decoder.decode(repeated[i++ & (N - 1)]);
        return decoder.key();
    }

    /** The same, with the record key as the hint: series seen before are read from their timestamp and value. */
    @Benchmark
    public String decodeSampleKnown() {
        int k = i++ & (N - 1);
        decoder.decode(keys[k], repeated[k]);
        return decoder.key();
    }

    /**
     * The same over 10,000 series in turn (as the pipeline's synthetic load): each record's series
     * was read 10,000 records ago.
     */
    @Benchmark
    public String decodeSampleKnownManySeries() {
        int k = j;
        j = k + 1 == manyValues.length ? 0 : k + 1;
        manyDecoder.decode(manyKeys[k], manyValues[k]);
        return manyDecoder.key();
    }

    @Benchmark
    public Metric roundTrip() {
        return MetricJson.decode(MetricJson.encode(metrics[i++ & (N - 1)]));
    }

    /** Size of one encoded record, for the report. */
    public static int sampleRecordBytes() {
        MetricSerdeBenchmark b = new MetricSerdeBenchmark();
        b.setup();
        return b.encoded[0].length;
    }
}
