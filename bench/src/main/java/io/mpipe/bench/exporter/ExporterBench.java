package io.mpipe.bench.exporter;

import io.mpipe.bench.BenchEnvironment;
import io.mpipe.bench.BenchHttp;
import io.mpipe.bench.BenchOutput;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.http.SelfMetrics;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.WireFormat;
import io.mpipe.exporter.ExporterApp;
import io.mpipe.exporter.ExporterConfig;
import io.mpipe.exporter.store.SeriesPool;
import io.mpipe.exporter.store.StoreSettings;
import io.mpipe.exporter.store.StoreStats;
import io.mpipe.exporter.topology.RecordCount;
import io.prometheus.client.CollectorRegistry;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code bench exporter}: records/s from the topic into the store (one instance), the time to
 * render /metrics with 100,000 series, query latency for cached series, and the hit rates of this
 * LRU store and of a FIFO store of the same size on a Zipf(1.1) query stream.
 */
public final class ExporterBench {
    static final int SERIES = 100_000;
    static final int NAMES = 1_000;
    /** Records read before the timing starts: every series is in the store and the JIT has compiled the path. */
    static final int WARMUP_RECORDS = 300_000;

    /** Options of a run. */
    public record Options(int records, int queries, int streamThreads, String bootstrap, Path json) {
    }

    /** Results; JSON field names as the issue asks. */
    public record Result(double recordsPerS, double render100kMs, double queryP50Ms, double queryP99Ms,
            double lruHitRate, double fifoHitRate, int records) {
        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("records_per_s", Math.round(recordsPerS));
            m.put("render_100k_ms", BenchOutput.round3(render100kMs));
            m.put("query_p50_ms", BenchOutput.round3(queryP50Ms));
            m.put("query_p99_ms", BenchOutput.round3(queryP99Ms));
            m.put("lru_hit_rate", BenchOutput.round3(lruHitRate));
            m.put("fifo_hit_rate", BenchOutput.round3(fifoHitRate));
            m.put("records", records);
            m.put("machine", BenchOutput.machine());
            m.put("at", Instant.now().toString());
            return m;
        }
    }

    private ExporterBench() {
    }

    public static Result run(Options o) throws Exception {
        double[] rates = zipfHitRates(1_000_000, 100_000, 1.1, 1_000_000, 3_000_000);
        BenchOutput.progress(String.format("Zipf(1.1), 1,000,000 series, 100,000 slots: LRU %.3f, FIFO %.3f",
                rates[0], rates[1]));
        try (BenchEnvironment env = BenchEnvironment.start(o.bootstrap())) {
            String topic = "bench-exporter-" + System.currentTimeMillis();
            env.createTopics(topic);
            BenchOutput.progress("producing " + (WARMUP_RECORDS + o.records()) + " records over " + SERIES
                    + " series (the first " + WARMUP_RECORDS + " warm up)");
            produce(env.bootstrapServers(), topic, WARMUP_RECORDS + o.records());
            Path state = Files.createTempDirectory("mpipe-bench-exporter-");
            String yaml = """
                    kafka:
                      bootstrap-servers: %s
                      topic: %s
                    exporter:
                      application-id: bench-exporter-%d
                      state-dir: %s
                      http:
                        port: 0
                      rebuild-on-start: false
                      stream-threads: %d
                    lag:
                      enabled: false
                    """.formatted(env.bootstrapServers(), topic, System.currentTimeMillis(), state, o.streamThreads());
            ExporterConfig config = ExporterConfig.load(ConfigSource.parse(yaml, Map.of()));
            CollectorRegistry registry = SelfMetrics.newRegistryWithJvmMetrics();
            try (ExporterApp app = ExporterApp.start(config, registry)) {
                BenchOutput.progress("phase 1/3: the topic into the store");
                double recordsPerS = ingest(app.metrics().processed, WARMUP_RECORDS, WARMUP_RECORDS + o.records());
                BenchOutput.progress(String.format("into the store: %,.0f records/s (%,d series held)", recordsPerS,
                        app.pool().seriesCount()));
                BenchOutput.progress("phase 2/3: rendering /metrics with " + app.pool().seriesCount() + " series");
                double renderMs = render(app.httpBaseUrl());
                BenchOutput.progress("phase 3/3: " + o.queries() + " queries for cached series");
                Histogram h = query(app.httpBaseUrl(), o.queries());
                Result r = new Result(recordsPerS, renderMs, h.getValueAtPercentile(50) / 1000.0,
                        h.getValueAtPercentile(99) / 1000.0, rates[0], rates[1], o.records());
                print(r);
                if (o.json() != null) {
                    BenchOutput.writeJson(o.json(), r.json());
                }
                return r;
            }
        }
    }

    static void print(Result r) {
        List<String[]> t = new ArrayList<>();
        t.add(new String[] {"records into the store (one instance)", BenchOutput.num(r.recordsPerS()),
            "records/s, goal >= 200,000"});
        t.add(new String[] {"render /metrics, 100,000 series", String.format("%.1f", r.render100kMs()),
            "ms, goal < 500"});
        t.add(new String[] {"query p50 (cached series)", String.format("%.2f", r.queryP50Ms()), "ms"});
        t.add(new String[] {"query p99 (cached series)", String.format("%.2f", r.queryP99Ms()), "ms, goal < 5"});
        t.add(new String[] {"hit rate, this LRU store", String.format("%.3f", r.lruHitRate()), "goal >= 0.80"});
        t.add(new String[] {"hit rate, a FIFO store of the same size", String.format("%.3f", r.fifoHitRate()),
            "LRU should beat it"});
        BenchOutput.table(String.format("bench exporter: %,d records, %,d series", r.records(), SERIES), t);
    }

    static Metric metric(int series, long ts, double value) {
        return new Metric("bench_metric_" + (series % NAMES), ts, value,
                Labels.of("series", Integer.toString(series), "host", "host-" + (series % 97)));
    }

    static void produce(String bootstrap, String topic, int records) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L << 20));
        long now = System.currentTimeMillis();
        int perSeries = Math.max(1, records / SERIES);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                int s = i % SERIES;
                long ts = now - (perSeries - i / SERIES) * 1000L;
                producer.send(WireFormat.record(topic, metric(s, ts, i)));
            }
            producer.flush();
        }
    }

    /**
     * Records/s from the {@code from}th record processed to the {@code to}th. Reads the counter
     * itself: collecting the whole registry every 20 ms would render every series of the store
     * each time and take the CPU the measurement is about.
     */
    static double ingest(RecordCount processed, long from, long to) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        double first = 0;
        long firstAt = 0;
        while (System.nanoTime() < deadline) {
            double n = processed.get();
            if (firstAt == 0 && n >= from) {
                firstAt = System.nanoTime();
                first = n;
            }
            if (firstAt != 0 && n >= to) {
                return (n - first) / ((System.nanoTime() - firstAt) / 1e9);
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("the exporter processed " + processed.get() + " of " + to
                + " records in 10 minutes");
    }

    static double render(String base) throws Exception {
        double[] ms = new double[7];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            BenchHttp.Response r = BenchHttp.get(base + "/metrics");
            ms[i] = (System.nanoTime() - t0) / 1e6;
            if (r.status() != 200) {
                throw new IllegalStateException("/metrics answered " + r.status());
            }
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    /** Times queries over a kept-alive connection (see {@link BenchHttp}). */
    static Histogram query(String base, int queries) throws Exception {
        Histogram h = new Histogram(60_000_000L, 3);
        SplittableRandom random = new SplittableRandom(7);
        int warmup = Math.max(2_000, queries);
        for (int i = 0; i < queries + warmup; i++) {
            int s = random.nextInt(SERIES);
            String url = base + "/api/v1/metrics?name=bench_metric_" + (s % NAMES) + "&label="
                    + URLEncoder.encode("series=" + s, StandardCharsets.UTF_8) + "&limit=10";
            long t0 = System.nanoTime();
            BenchHttp.Response r = BenchHttp.get(url);
            long micros = (System.nanoTime() - t0) / 1000;
            if (r.status() != 200 || !r.body().contains("\"count\":")) {
                throw new IllegalStateException(url + " answered " + r.status() + ": " + r.body());
            }
            if (i >= warmup) { // the first ones warm up the path (the JIT compiles it)
                h.recordValue(Math.max(1, micros));
            }
        }
        return h;
    }

    /**
     * Hit rates of this store (LRU) and of a FIFO cache with the same number of slots, on the same
     * Zipf stream over {@code universe} series; a miss loads the series, as a fall-back to
     * PostgreSQL would. Returns {lru, fifo}, counted after {@code warmup} queries.
     */
    static double[] zipfHitRates(int universe, int slots, double s, int warmup, int queries) {
        double[] cdf = new double[universe];
        double sum = 0;
        for (int k = 1; k <= universe; k++) {
            sum += Math.pow(k, -s);
            cdf[k - 1] = sum;
        }
        String[] keys = new String[universe];
        int[] perm = new int[universe];
        for (int i = 0; i < universe; i++) {
            perm[i] = i;
        }
        SplittableRandom random = new SplittableRandom(11);
        for (int i = universe - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        SeriesPool lru = new SeriesPool(new StoreSettings(Duration.ofDays(3650), slots, 1, Duration.ofDays(3650)),
                new StoreStats());
        java.util.LinkedHashMap<Integer, Boolean> fifo = new java.util.LinkedHashMap<>(slots * 2, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, Boolean> eldest) {
                return size() > slots;
            }
        };
        long now = System.currentTimeMillis();
        long lruHits = 0;
        long fifoHits = 0;
        for (int q = 0; q < warmup + queries; q++) {
            double u = random.nextDouble() * sum;
            int rank = Arrays.binarySearch(cdf, u);
            rank = rank >= 0 ? rank : -rank - 1;
            int series = perm[Math.min(rank, universe - 1)];
            String key = keys[series];
            if (key == null) {
                key = "zipf{series=\"" + series + "\"}";
                keys[series] = key;
            }
            boolean counted = q >= warmup;
            if (lru.get(key, Long.MIN_VALUE, Long.MAX_VALUE, 1) != null) {
                lruHits += counted ? 1 : 0;
            } else {
                lru.put(0, key, new Metric("zipf", now, series, Labels.of("series", Integer.toString(series))), now);
            }
            if (fifo.containsKey(series)) {
                fifoHits += counted ? 1 : 0;
            } else {
                fifo.put(series, Boolean.TRUE);
            }
        }
        return new double[] {(double) lruHits / queries, (double) fifoHits / queries};
    }
}
