package io.mpipe.exporter.lag;

import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.Histogram;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link LagMonitor} every interval on a thread of its own and keeps the last snapshot,
 * which {@code /metrics} and {@code /api/v1/lag} serve: a slow broker delays the next snapshot,
 * never a scrape. Metric names are the ones Grafana lag dashboards know.
 */
public final class LagService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LagService.class);

    private final LagMonitor monitor;
    private final LagSettings settings;
    private final AtomicReference<LagSnapshot> last = new AtomicReference<>(LagSnapshot.EMPTY);
    private final ScheduledExecutorService scheduler;
    private final Histogram pollSeconds;
    private final Counter pollErrors;

    public LagService(LagMonitor monitor, LagSettings settings, CollectorRegistry registry) {
        this.monitor = monitor;
        this.settings = settings;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lag-monitor");
            t.setDaemon(true);
            return t;
        });
        pollSeconds = Histogram.build("exporter_lag_poll_duration_seconds", "Time one consumer-lag poll takes")
                .buckets(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30).register(registry);
        pollErrors = Counter.build("exporter_lag_poll_errors_total", "Consumer-lag polls that failed").register(registry);
        new LagCollector().register(registry);
    }

    public void start() {
        scheduler.scheduleWithFixedDelay(this::pollOnce, 0, settings.interval().toMillis(), TimeUnit.MILLISECONDS);
    }

    void pollOnce() {
        Histogram.Timer t = pollSeconds.startTimer();
        try {
            last.set(monitor.poll());
        } catch (RuntimeException e) {
            pollErrors.inc();
            log.warn("lag: poll failed, keeping the last snapshot: {}", e.toString());
        } finally {
            t.observeDuration();
        }
    }

    /** The last snapshot (empty before the first poll). */
    public LagSnapshot snapshot() {
        return last.get();
    }

    /** Properties of the probe consumer: no group, reads committed records, small fetches. */
    public static Properties probeProperties(Properties base) {
        Properties p = new Properties();
        p.putAll(base);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(64 * 1024));
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(4 * 1024 * 1024));
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "lag-probe-" + ProcessHandle.current().pid());
        return p;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        monitor.close();
    }

    /** Builds the lag series from the last snapshot at scrape time. */
    private final class LagCollector extends Collector {
        @Override
        public List<MetricFamilySamples> collect() {
            LagSnapshot s = last.get();
            List<String> gtp = List.of("group", "topic", "partition");
            GaugeMetricFamily lag = new GaugeMetricFamily("kafka_consumergroup_group_lag",
                    "Records between the group's committed offset and the log end", gtp);
            GaugeMetricFamily lagSeconds = new GaugeMetricFamily("kafka_consumergroup_group_lag_seconds",
                    "Now minus the timestamp of the next record the group will read (0 when caught up)", gtp);
            GaugeMetricFamily offset = new GaugeMetricFamily("kafka_consumergroup_group_offset",
                    "The group's committed offset", gtp);
            GaugeMetricFamily maxLag = new GaugeMetricFamily("kafka_consumergroup_group_max_lag",
                    "The group's largest partition lag in records", List.of("group"));
            GaugeMetricFamily maxLagSeconds = new GaugeMetricFamily("kafka_consumergroup_group_max_lag_seconds",
                    "The group's largest partition lag in seconds", List.of("group"));
            GaugeMetricFamily sumLag = new GaugeMetricFamily("kafka_consumergroup_group_sum_lag",
                    "The group's lag in records over all partitions", List.of("group"));
            GaugeMetricFamily topicSumLag = new GaugeMetricFamily("kafka_consumergroup_group_topic_sum_lag",
                    "The group's lag in records over a topic's partitions", List.of("group", "topic"));
            GaugeMetricFamily members = new GaugeMetricFamily("kafka_consumergroup_members",
                    "Active members of the group", List.of("group"));
            GaugeMetricFamily state = new GaugeMetricFamily("kafka_consumergroup_group_state",
                    "1 for the group's current state", List.of("group", "state"));
            GaugeMetricFamily latest = new GaugeMetricFamily("kafka_partition_latest_offset",
                    "The partition's log-end offset", List.of("topic", "partition"));
            Map<String, Long> latestByTp = new TreeMap<>();
            for (LagSnapshot.Group g : s.groups()) {
                Map<String, Long> byTopic = new TreeMap<>();
                for (LagSnapshot.Partition p : g.partitions()) {
                    List<String> l = List.of(g.group(), p.topic(), Integer.toString(p.partition()));
                    lag.addMetric(l, p.lag());
                    lagSeconds.addMetric(l, p.lagSeconds());
                    offset.addMetric(l, p.committed());
                    byTopic.merge(p.topic(), p.lag(), Long::sum);
                    latestByTp.put(p.topic() + "\u0000" + p.partition(), p.logEnd());
                }
                byTopic.forEach((t, v) -> topicSumLag.addMetric(List.of(g.group(), t), v));
                maxLag.addMetric(List.of(g.group()), g.maxLag());
                maxLagSeconds.addMetric(List.of(g.group()), g.maxLagSeconds());
                sumLag.addMetric(List.of(g.group()), g.sumLag());
                members.addMetric(List.of(g.group()), g.members());
                state.addMetric(List.of(g.group(), g.state()), 1);
            }
            latestByTp.forEach((k, v) -> {
                int z = k.indexOf('\u0000');
                latest.addMetric(List.of(k.substring(0, z), k.substring(z + 1)), v);
            });
            List<MetricFamilySamples> out = new ArrayList<>(List.of(lag, lagSeconds, offset, maxLag, maxLagSeconds,
                    sumLag, topicSumLag, members, state, latest));
            out.add(new GaugeMetricFamily("exporter_lag_last_poll_timestamp_seconds",
                    "When the lag snapshot served was taken", s.polledAt() / 1000.0));
            out.add(new GaugeMetricFamily("exporter_lag_groups", "Consumer groups in the lag snapshot",
                    s.groups().size()));
            return out;
        }
    }
}
