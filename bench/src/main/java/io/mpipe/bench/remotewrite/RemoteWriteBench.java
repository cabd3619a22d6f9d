package io.mpipe.bench.remotewrite;

import io.mpipe.bench.BenchEnvironment;
import io.mpipe.bench.BenchOutput;
import io.mpipe.bench.replay.ReplayBench;
import io.mpipe.collector.CollectorApp;
import io.mpipe.collector.CollectorConfig;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.prompb.Remote;
import io.mpipe.common.prompb.Types;
import io.prometheus.client.CollectorRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import org.xerial.snappy.Snappy;

/**
 * {@code bench remote-write}: Prometheus remote write requests into the collector, in the shape
 * Prometheus sends them (a sample of each of {@code samplesPerRequest} series a request, labels
 * {@code __name__}, {@code instance}, {@code job} and two more, snappy-compressed protobuf), from
 * {@code senders} concurrent senders, each waiting for its answer (204 once the broker acknowledged
 * every record) before it sends again, as a Prometheus shard does. Beside it, in the same run, the
 * limit: the collector's producer alone sending the same metrics.
 */
public final class RemoteWriteBench {
    /** Options of a run. */
    public record Options(int samples, int series, int samplesPerRequest, int senders, String bootstrap, Path json) {
    }

    /** Results; the JSON keys are the fields' names in snake case. */
    public record Result(double samplesPerSecond, double producerLimit, double p50Ms, double p99Ms, int samplesPerRequest,
            int senders, int series, long requests) {
        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("remote_write_samples_per_s", Math.round(samplesPerSecond));
            m.put("producer_records_per_s", Math.round(producerLimit));
            m.put("ratio_remote_write_to_producer", BenchOutput.round3(samplesPerSecond / producerLimit));
            m.put("request_p50_ms", BenchOutput.round3(p50Ms));
            m.put("request_p99_ms", BenchOutput.round3(p99Ms));
            m.put("samples_per_request", samplesPerRequest);
            m.put("senders", senders);
            m.put("series", series);
            m.put("requests", requests);
            m.put("machine", BenchOutput.machine());
            m.put("at", Instant.now().toString());
            return m;
        }
    }

    private RemoteWriteBench() {
    }

    public static Result run(Options o) throws Exception {
        try (BenchEnvironment env = BenchEnvironment.start(o.bootstrap())) {
            // the same samples for both: round r of series s at t0 + r * 15 s
            long t0 = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
            List<Metric> metrics = new ArrayList<>(o.samples());
            for (int i = 0; i < o.samples(); i++) {
                int s = i % o.series();
                metrics.add(new Metric("bench_rw_metric_" + (s % 10), t0 + (i / o.series()) * 15_000L, i * 0.5,
                        Labels.of("instance", "host-" + (s / 10) % 100 + ":9100", "job", "node", "series",
                                Integer.toString(s), "zone", "z" + s % 3)));
            }
            String producerTopic = "rw-bench-producer-" + System.currentTimeMillis();
            String topic = "rw-bench-" + System.currentTimeMillis();
            env.createTopics(producerTopic, topic);
            CollectorConfig config = CollectorConfig.load(ConfigSource.parse("""
                    kafka:
                      bootstrap-servers: %s
                      topic: %s
                    collector:
                      http:
                        port: 0
                        max-concurrent-requests: %d
                      remote-write:
                        enabled: true
                        max-samples-per-second: 1000000000
                    """.formatted(env.bootstrapServers(), topic, Math.max(2, o.senders())), Map.of()));
            BenchOutput.progress("limit: the collector's producer alone, warm-up then " + o.samples() + " records");
            CollectorConfig producerConfig = CollectorConfig.load(ConfigSource.parse("""
                    kafka:
                      bootstrap-servers: %s
                      topic: %s
                    """.formatted(env.bootstrapServers(), producerTopic), Map.of()));
            double producer = ReplayBench.producerAloneWarm(producerConfig, producerTopic, metrics);
            BenchOutput.progress(String.format("producer alone: %,.0f records/s", producer));

            List<byte[]> bodies = new ArrayList<>();
            for (int from = 0; from < metrics.size(); from += o.samplesPerRequest()) {
                bodies.add(request(metrics.subList(from, Math.min(metrics.size(), from + o.samplesPerRequest()))));
            }
            try (CollectorApp collector = CollectorApp.start(config, new CollectorRegistry())) {
                String url = collector.httpBaseUrl() + "/api/v1/write";
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                BenchOutput.progress("warm-up: " + Math.min(bodies.size(), 200) + " requests, not measured");
                send(http, url, bodies.subList(0, Math.min(bodies.size(), 200)), o.senders(), new Histogram(3));
                Histogram latency = new Histogram(3_600_000_000L, 3);
                BenchOutput.progress(String.format("remote write: %,d requests of %,d samples from %d senders",
                        bodies.size(), o.samplesPerRequest(), o.senders()));
                long start = System.nanoTime();
                send(http, url, bodies, o.senders(), latency);
                double secs = (System.nanoTime() - start) / 1e9;
                Result r = new Result(metrics.size() / secs, producer, latency.getValueAtPercentile(50) / 1000.0,
                        latency.getValueAtPercentile(99) / 1000.0, o.samplesPerRequest(), o.senders(), o.series(),
                        bodies.size());
                print(r);
                if (o.json() != null) {
                    BenchOutput.writeJson(o.json(), r.json());
                }
                return r;
            }
        }
    }

    /** A request as Prometheus makes it: one time series a metric, labels sorted, __name__ among them. */
    static byte[] request(List<Metric> metrics) throws java.io.IOException {
        Remote.WriteRequest.Builder w = Remote.WriteRequest.newBuilder();
        for (Metric m : metrics) {
            Types.TimeSeries.Builder ts = Types.TimeSeries.newBuilder();
            Map<String, String> labels = new java.util.TreeMap<>(m.labels());
            labels.put("__name__", m.name());
            labels.forEach((k, v) -> ts.addLabels(Types.Label.newBuilder().setName(k).setValue(v)));
            ts.addSamples(Types.Sample.newBuilder().setValue(m.value()).setTimestamp(m.timestamp()));
            w.addTimeseries(ts);
        }
        return Snappy.compress(w.build().toByteArray());
    }

    /** Sends every body once, {@code senders} at a time, each waiting for its answer; latency in µs. */
    private static void send(HttpClient http, String url, List<byte[]> bodies, int senders, Histogram latency)
            throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                done.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < bodies.size(); i = next.getAndIncrement()) {
                        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                                .header("Content-Type", "application/x-protobuf").header("Content-Encoding", "snappy")
                                .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(i))).build();
                        long t = System.nanoTime();
                        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 204) {
                            throw new IllegalStateException("request " + i + ": " + r.statusCode() + " " + r.body());
                        }
                        synchronized (latency) {
                            latency.recordValue((System.nanoTime() - t) / 1000);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static void print(Result r) {
        List<String[]> t = new ArrayList<>();
        t.add(new String[] {"remote write, acknowledged", BenchOutput.num(r.samplesPerSecond()),
            String.format("samples/s (%.2f of the producer alone; goal >= 0.6)", r.samplesPerSecond() / r.producerLimit())});
        t.add(new String[] {"  limit: producer alone", BenchOutput.num(r.producerLimit()), "records/s"});
        t.add(new String[] {"request latency, p50", String.format("%.1f", r.p50Ms()), "ms"});
        t.add(new String[] {"request latency, p99", String.format("%.1f", r.p99Ms()), "ms"});
        BenchOutput.table(String.format("bench remote-write: %,d requests of %,d samples, %d senders, %,d series",
                r.requests(), r.samplesPerRequest(), r.senders(), r.series()), t);
    }
}
