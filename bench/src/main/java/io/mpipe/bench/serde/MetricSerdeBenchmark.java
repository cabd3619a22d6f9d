package io.mpipe.bench.serde;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricJson;
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
    private int i;

    @Setup
    public void setup() {
        Random r = new Random(1);
        long now = 1_764_000_000_000L;
        for (int k = 0; k < N; k++) {
            metrics[k] = new Metric("hedera_account_balance_tinybars", now + k, r.nextLong() / 1e3,
                    Labels.of("network", "mainnet", "account", "0.0." + (1000 + k), "label", "treasury-" + (k % 10)));
            encoded[k] = MetricJson.encode(metrics[k]);
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
