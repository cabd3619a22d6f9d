package io.mpipe.bench.sink;

import io.mpipe.bench.BenchEnvironment;
import io.mpipe.bench.BenchOutput;
import io.mpipe.bench.CpuMeter;
import io.mpipe.bench.ThreadCpu;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.WireFormat;
import io.mpipe.sink.SinkApp;
import io.mpipe.sink.SinkConfig;
import io.mpipe.sink.copy.CopyBatchWriter;
import io.mpipe.sink.copy.SampleRowEncoder;
import io.mpipe.sink.copy.WriteResult;
import io.mpipe.sink.schema.Migrations;
import io.mpipe.sink.schema.PartitionMaintainer;
import io.mpipe.sink.series.SeriesCache;
import io.mpipe.sink.series.SeriesResolver;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code bench sink}: in one run on one machine, the sink's sustained Kafka-to-PostgreSQL rate
 * (exactly once, de-duplication on), the raw limit (binary COPY of the same rows into the same
 * schema, no Kafka), and a batched-INSERT baseline (reWriteBatchedInserts, 1,000 rows a statement).
 */
public final class SinkBench {

    /** Options of a run. */
    public record Options(int rows, int series, int batchRows, String bootstrap, Path json) {
    }

    /** Results; the JSON field names are the contract of the issue that asked for them. */
    public record Result(double sinkRowsPerS, double rawCopyRowsPerS, double insertRowsPerS, double commitP50Ms,
            double commitP99Ms, double producerRecordsPerS, int rows, int series, int batchRows,
            double sinkCpuMicros, double rawCopyCpuMicros, double sinkThreadsCpuMicros) {
        public double ratioToRaw() {
            return sinkRowsPerS / rawCopyRowsPerS;
        }

        public double ratioToInsert() {
            return sinkRowsPerS / insertRowsPerS;
        }

        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sink_rows_per_s", Math.round(sinkRowsPerS));
            m.put("raw_copy_rows_per_s", Math.round(rawCopyRowsPerS));
            m.put("insert_rows_per_s", Math.round(insertRowsPerS));
            m.put("ratio_to_raw", BenchOutput.round3(ratioToRaw()));
            m.put("ratio_to_insert", BenchOutput.round3(ratioToInsert()));
            m.put("commit_p50_ms", BenchOutput.round3(commitP50Ms));
            m.put("commit_p99_ms", BenchOutput.round3(commitP99Ms));
            m.put("producer_records_per_s", Math.round(producerRecordsPerS));
            m.put("sink_cpu_us_per_row", cpuJson(sinkCpuMicros));
            m.put("raw_copy_cpu_us_per_row", cpuJson(rawCopyCpuMicros));
            m.put("sink_threads_cpu_us_per_row", cpuJson(sinkThreadsCpuMicros));
            m.put("rows", rows);
            m.put("series", series);
            m.put("batch_rows", batchRows);
            m.put("machine", BenchOutput.machine());
            m.put("at", Instant.now().toString());
            return m;
        }
    }

    private static Double cpuJson(double v) {
        return Double.isNaN(v) ? null : BenchOutput.round3(v);
    }

    /**
     * A phase's rows a second, the machine's CPU per row in it, and the part of that the sink's own
     * threads spent (µs, NaN where not known or not a sink).
     */
    public record Phase(double rowsPerS, double cpuMicros, double sinkThreadsCpuMicros) {
    }

    private SinkBench() {
    }

    public static Result run(Options o) throws Exception {
        BenchOutput.progress("generating " + o.rows() + " rows over " + o.series() + " series");
        SyntheticRows rows = new SyntheticRows(o.rows(), o.series());
        try (BenchEnvironment env = BenchEnvironment.start(o.bootstrap())) {
            // a first COPY warms the server (WAL segments, caches) so that no phase pays for being first
            rawCopy(env, rows, o.batchRows(), "warm-up: raw binary COPY, not reported");
            Phase raw = rawCopyPhase(env, rows, o.batchRows(), "phase 1/3: raw binary COPY into the same schema");
            BenchOutput.progress(String.format("raw binary COPY: %,.0f rows/s, %s", raw.rowsPerS(), cpu(raw)));
            double insert = batchedInsert(env, rows);
            BenchOutput.progress(String.format("batched INSERT: %,.0f rows/s", insert));
            String topic = "bench-sink-" + System.currentTimeMillis();
            double producer = produce(env, topic, rows);
            BenchOutput.progress(String.format("produced to %s at %,.0f records/s", topic, producer));
            // the sink also gets a warm-up (JIT, connection pool, caches) on the same topic, into its own
            // database, so that the measured run shows the steady state a long-running sink lives in
            sink(env, topic, rows, o.batchRows(), new Histogram(3_600_000_000L, 3),
                    "warm-up: the sink, not reported", "bench-sink-warmup");
            Histogram commits = new Histogram(3_600_000_000L, 3);
            Phase sink = sink(env, topic, rows, o.batchRows(), commits,
                    "phase 3/3: the sink, from the topic into a fresh database", "bench-sink");
            BenchOutput.progress(String.format("sink: %,.0f rows/s, %s", sink.rowsPerS(), cpu(sink)));
            Result r = new Result(sink.rowsPerS(), raw.rowsPerS(), insert, commits.getValueAtPercentile(50) / 1000.0,
                    commits.getValueAtPercentile(99) / 1000.0, producer, o.rows(), o.series(), o.batchRows(),
                    sink.cpuMicros(), raw.cpuMicros(), sink.sinkThreadsCpuMicros());
            print(r);
            if (o.json() != null) {
                BenchOutput.writeJson(o.json(), r.json());
            }
            return r;
        }
    }

    static void print(Result r) {
        List<String[]> t = new ArrayList<>();
        t.add(new String[] {"sink (Kafka -> PostgreSQL, exactly once)", BenchOutput.num(r.sinkRowsPerS()), "rows/s"});
        t.add(new String[] {"raw binary COPY (no Kafka)", BenchOutput.num(r.rawCopyRowsPerS()), "rows/s"});
        t.add(new String[] {"batched INSERT (1,000 rows/statement)", BenchOutput.num(r.insertRowsPerS()), "rows/s"});
        t.add(new String[] {"ratio to raw COPY", String.format("%.2f", r.ratioToRaw()), "goal >= 0.6"});
        t.add(new String[] {"ratio to batched INSERT", String.format("%.2f", r.ratioToInsert()), "goal >= 1.5"});
        t.add(new String[] {"commit p50", String.format("%.1f", r.commitP50Ms()), "ms per batch"});
        t.add(new String[] {"commit p99", String.format("%.1f", r.commitP99Ms()), "ms per batch"});
        t.add(new String[] {"producer (to load the topic)", BenchOutput.num(r.producerRecordsPerS()), "records/s"});
        t.add(new String[] {"machine CPU per row, sink", cpuCell(r.sinkCpuMicros()),
            "us (broker, sink and PostgreSQL; on Linux)"});
        t.add(new String[] {"  of which the sink's threads", cpuCell(r.sinkThreadsCpuMicros()),
            "us (consuming, decoding, batching, encoding the COPY)"});
        t.add(new String[] {"machine CPU per row, raw COPY", cpuCell(r.rawCopyCpuMicros()), "us (client and PostgreSQL)"});
        BenchOutput.table(String.format("bench sink: %,d rows, %,d series, batches of %,d rows", r.rows(), r.series(),
                r.batchRows()), t);
    }

    private static String cpuCell(double v) {
        return Double.isNaN(v) ? "not measured" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String cpu(Phase p) {
        String threads = Double.isNaN(p.sinkThreadsCpuMicros()) ? ""
                : String.format(Locale.ROOT, " (the sink's threads %.2f)", p.sinkThreadsCpuMicros());
        return Double.isNaN(p.cpuMicros()) ? "machine CPU not measured" + threads
                : String.format(Locale.ROOT, "machine CPU %.2f us a row", p.cpuMicros()) + threads;
    }

    private static PGSimpleDataSource dataSource(String url, String user) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        ds.setUser(user);
        ds.setOptions("-c TimeZone=UTC");
        return ds;
    }

    /** A migrated database with the series and partitions already there; returns key to id. */
    private static Map<String, Long> prepare(PGSimpleDataSource ds, SyntheticRows rows) throws SQLException {
        Migrations.migrate(ds);
        Map<String, Metric> distinct = new LinkedHashMap<>();
        Set<Long> starts = new HashSet<>();
        PartitionMaintainer partitions = new PartitionMaintainer(Duration.ofDays(1));
        for (int i = 0; i < rows.size(); i++) {
            distinct.putIfAbsent(rows.key(i), rows.metric(i));
            starts.add(partitions.partitionStart(rows.metric(i).timestamp()));
        }
        List<String> keys = new ArrayList<>(distinct.keySet());
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            long[] ids = new SeriesResolver(new SeriesCache(keys.size())).resolve(c, keys);
            partitions.ensure(c, starts);
            c.commit();
            Map<String, Long> out = new HashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                out.put(keys.get(i), ids[i]);
            }
            return out;
        }
    }

    public static double rawCopy(BenchEnvironment env, SyntheticRows rows, int batchRows, String what) throws SQLException {
        return rawCopyPhase(env, rows, batchRows, what).rowsPerS();
    }

    /** Raw binary COPY of {@code rows}, committed every {@code batchRows}: its rows a second and CPU per row. */
    public static Phase rawCopyPhase(BenchEnvironment env, SyntheticRows rows, int batchRows, String what)
            throws SQLException {
        BenchOutput.progress(what);
        PGSimpleDataSource ds = dataSource(env.newDatabase("bench_raw"), env.user());
        Map<String, Long> ids = prepare(ds, rows);
        PartitionMaintainer partitions = new PartitionMaintainer(Duration.ofDays(1));
        byte[] buf = new byte[SampleRowEncoder.HEADER_BYTES + batchRows * SampleRowEncoder.ROW_BYTES
                + SampleRowEncoder.TRAILER_BYTES];
        CpuMeter.Reading cpu0 = CpuMeter.read();
        long t0 = System.nanoTime();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            var copy = c.unwrap(PGConnection.class).getCopyAPI();
            for (int from = 0; from < rows.size(); from += batchRows) {
                int end = Math.min(rows.size(), from + batchRows);
                // straight into the partition that holds the rows, as the sink copies: one COPY for
                // each partition the batch's rows (in time order) fall in
                for (int i = from; i < end; ) {
                    long start = partitions.partitionStart(rows.metric(i).timestamp());
                    int pos = SampleRowEncoder.header(buf, 0);
                    for (; i < end && partitions.partitionStart(rows.metric(i).timestamp()) == start; i++) {
                        Metric m = rows.metric(i);
                        pos = SampleRowEncoder.row(buf, pos, ids.get(rows.key(i)), m.timestamp(), m.value());
                    }
                    pos = SampleRowEncoder.trailer(buf, pos);
                    CopyIn in = copy.copyIn(CopyBatchWriter.copyInto(partitions.partitionName(start)));
                    in.writeToCopy(buf, 0, pos);
                    in.endCopy();
                }
                c.commit();
            }
        }
        double rowsPerS = rows.size() / ((System.nanoTime() - t0) / 1e9);
        return new Phase(rowsPerS, CpuMeter.between(cpu0, CpuMeter.read()).microsEach(rows.size()), Double.NaN);
    }

    static double batchedInsert(BenchEnvironment env, SyntheticRows rows) throws SQLException {
        BenchOutput.progress("phase 2/3: batched INSERT (reWriteBatchedInserts=true, 1,000 rows a statement)");
        PGSimpleDataSource ds = dataSource(env.newDatabase("bench_insert"), env.user());
        Map<String, Long> ids = prepare(ds, rows);
        ds.setReWriteBatchedInserts(true);
        long t0 = System.nanoTime();
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?)")) {
            c.setAutoCommit(false);
            for (int i = 0; i < rows.size(); i++) {
                Metric m = rows.metric(i);
                ps.setLong(1, ids.get(rows.key(i)));
                ps.setObject(2, OffsetDateTime.ofInstant(Instant.ofEpochMilli(m.timestamp()), ZoneOffset.UTC));
                ps.setDouble(3, m.value());
                ps.addBatch();
                if ((i + 1) % 1000 == 0 || i == rows.size() - 1) {
                    ps.executeBatch();
                    c.commit();
                }
            }
        }
        return rows.size() / ((System.nanoTime() - t0) / 1e9);
    }

    static double produce(BenchEnvironment env, String topic, SyntheticRows rows) throws Exception {
        env.createTopics(topic);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L * 1024 * 1024));
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < rows.size(); i++) {
                producer.send(WireFormat.record(topic, rows.metric(i)));
            }
            producer.flush();
        }
        return rows.size() / ((System.nanoTime() - t0) / 1e9);
    }

    static Phase sink(BenchEnvironment env, String topic, SyntheticRows rows, int batchRows, Histogram commits,
            String what, String group) throws Exception {
        BenchOutput.progress(what);
        String yaml = """
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                  dlq-topic: %s.dlq
                postgres:
                  url: %s
                  user: %s
                sink:
                  group: %s
                  http:
                    port: 0
                  batch:
                    max-rows: %d
                """.formatted(env.bootstrapServers(), topic, topic, env.newDatabase("bench_sink"), env.user(),
                group, batchRows);
        SinkConfig config = SinkConfig.load(ConfigSource.parse(yaml, Map.of()));
        long[] firstCommitNanos = {0};
        long[] rowsAtFirst = {0};
        long[] total = {0};
        long[] lastCommitNanos = {0};
        // CPU readings at the first commit and once every row is in, the same window as the rate's
        CpuMeter.Reading[] cpu = new CpuMeter.Reading[2];
        ThreadCpu.Reading[] threads = new ThreadCpu.Reading[2];
        Object lock = new Object();
        CollectorRegistry registry = new CollectorRegistry();
        try (SinkApp app = SinkApp.start(config, registry, (batch, r) -> {
            synchronized (lock) {
                long now = System.nanoTime();
                if (firstCommitNanos[0] == 0) {
                    firstCommitNanos[0] = now;
                    rowsAtFirst[0] = r.rows();
                    cpu[0] = CpuMeter.read();
                    threads[0] = ThreadCpu.read();
                } else {
                    commits.recordValue(Math.max(1, r.commitNanos() / 1000));
                }
                total[0] += r.rows();
                lastCommitNanos[0] = now;
                lock.notifyAll();
            }
        })) {
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            synchronized (lock) {
                while (total[0] < rows.size() && System.nanoTime() < deadline) {
                    lock.wait(1000);
                }
            }
            if (total[0] < rows.size()) {
                throw new IllegalStateException("the sink stored " + total[0] + " of " + rows.size() + " rows in 10 min");
            }
            // before the sink stops: its threads are still there
            cpu[1] = CpuMeter.read();
            threads[1] = ThreadCpu.read();
        }
        BenchOutput.progress(String.format("rows committed out of time order: %.1f %%",
                100 * BenchOutput.sample(registry, "sink_rows_out_of_order_total") / total[0]));
        // rows committed after the first commit, over the time since it: excludes group join and warm-up of one batch
        synchronized (lock) {
            long measured = total[0] - rowsAtFirst[0];
            double cpuMicros = CpuMeter.between(cpu[0], cpu[1]).microsEach(measured);
            double sinkThreads = measured > 0 && !threads[1].cpuNanos().isEmpty()
                    ? ThreadCpu.between(threads[0], threads[1]).get("sink") * 1e6 / measured : Double.NaN;
            return new Phase(measured / ((lastCommitNanos[0] - firstCommitNanos[0]) / 1e9), cpuMicros, sinkThreads);
        }
    }
}
