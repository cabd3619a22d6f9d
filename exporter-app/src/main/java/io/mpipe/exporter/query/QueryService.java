package io.mpipe.exporter.query;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.common.http.HttpError;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.SeriesKey;
import io.mpipe.exporter.store.SeriesPool;
import io.mpipe.exporter.store.SeriesSnapshot;
import io.mpipe.exporter.store.SeriesWindow;
import io.mpipe.exporter.store.StoreStats;
import io.mpipe.exporter.topology.ExporterTopology;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Answers queries for the whole pipeline from any instance: each instance that holds part of the
 * store answers for its own partitions (this one locally, the others over HTTP through their
 * {@code application.server}), and the history tier in PostgreSQL answers for time before the
 * window and for series no instance holds (evicted, or expired). The answer says which tier did.
 */
public final class QueryService {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    static final String INTERNAL_METRICS = "/api/v1/internal/metrics";
    static final String INTERNAL_STATS = "/api/v1/internal/stats";

    /**
     * An answer of the query API. {@code partial}: an instance that holds part of the store could not
     * be asked; {@code missing_partitions} are the partitions it holds, whose series the answer has
     * only from the history tier (so without their newest samples, those not yet in PostgreSQL), and
     * {@code unreachable} names it. Both lists are left out of a complete answer.
     */
    public record Answer(String tier, int count, boolean partial,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Integer> missing_partitions,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> unreachable, List<MetricView> metrics) {

        public Answer(String tier, int count, List<MetricView> metrics) {
            this(tier, count, false, List.of(), List.of(), metrics);
        }
    }

    /** What one instance holds for a query: samples and the keys of the series that matched. */
    public record LocalAnswer(List<MetricView> metrics, List<String> keys) {
    }

    /** Store statistics, of one instance or summed over all. */
    public record Stats(long metric_count, long max_size, double utilization, long samples, long hits, long misses,
            double hit_rate, long evictions, long expired_series, int instances) {

        static Stats of(SeriesPool pool) {
            StoreStats s = pool.stats();
            long count = pool.seriesCount();
            long max = pool.settings().maxSeries();
            return new Stats(count, max, (double) count / max, pool.sampleCount(), s.hits(), s.misses(),
                    nanToZero(s.hitRate()), s.evictions(), s.expiredSeries(), 1);
        }

        Stats plus(Stats o) {
            long count = metric_count + o.metric_count;
            long max = max_size + o.max_size;
            long h = hits + o.hits;
            long m = misses + o.misses;
            return new Stats(count, max, max == 0 ? 0 : (double) count / max, samples + o.samples, h, m,
                    h + m == 0 ? 0 : (double) h / (h + m), evictions + o.evictions, expired_series + o.expired_series,
                    instances + o.instances);
        }

        private static double nanToZero(double d) {
            return Double.isNaN(d) ? 0 : d;
        }
    }

    private final LocalStores local;
    private final Optional<HistoryTier> history;
    private final HostInfo self;
    private final PeerClient peers;
    private final Clock clock;
    private final int maxSeries;

    /**
     * @param maxSeries the most series one query may match ({@code exporter.query.max-series})
     */
    public QueryService(LocalStores local, Optional<HistoryTier> history, HostInfo self, Duration forwardTimeout,
            Clock clock, int maxSeries) {
        this(local, history, self, forwardTimeout, clock, maxSeries, io.mpipe.common.config.HttpSecurity.NONE,
                Optional.empty(), Optional.empty());
    }

    /**
     * @param security      this instance's TLS, which the instances share (https, and its certificate
     *                      shown to a peer that asks for one)
     * @param peerCaFile    what a peer's certificate must chain to (default: this one's certificate file)
     * @param peerTokenFile the token to show other instances
     */
    public QueryService(LocalStores local, Optional<HistoryTier> history, HostInfo self, Duration forwardTimeout,
            Clock clock, int maxSeries, io.mpipe.common.config.HttpSecurity security, Optional<java.nio.file.Path> peerCaFile,
            Optional<java.nio.file.Path> peerTokenFile) {
        this.peers = new PeerClient(security, peerCaFile, peerTokenFile, forwardTimeout);
        this.maxSeries = maxSeries;
        this.local = local;
        this.history = history;
        this.self = self;
        this.clock = clock;
    }

    /** The PostgreSQL history tier, when {@code exporter.history.enabled}. */
    public Optional<HistoryTier> history() {
        return history;
    }

    /** {@code exporter.query.max-series}: series one query may match. */
    public int maxSeries() {
        return maxSeries;
    }

    public long now() {
        return clock.millis();
    }

    public long windowStart() {
        return clock.millis() - local.pool().settings().window().toMillis();
    }

    /**
     * The answer of this instance alone, from memory: at most {@code limit} samples.
     *
     * @throws HttpError 400 when the query matches more than {@code exporter.query.max-series} series
     */
    public LocalAnswer localAnswer(MetricsQuery q) {
        SeriesPool pool = local.pool();
        SeriesPool.Found found;
        try {
            found = pool.find(q.name().orElse(null), q.matcher(), q.from(), q.to(), q.limit(), maxSeries);
        } catch (SeriesPool.TooManySeriesException e) {
            throw tooManySeries(q);
        }
        List<MetricView> views = new ArrayList<>();
        for (SeriesSnapshot s : found.series()) {
            for (SeriesWindow.Sample sample : s.samples()) {
                views.add(MetricView.of(s.name(), s.labels(), sample.timestamp(), sample.value()));
            }
        }
        return new LocalAnswer(views, found.keys());
    }

    private HttpError tooManySeries(MetricsQuery q) {
        return HttpError.badRequest((q.name().isEmpty() ? "name" : "label") + ": the query matches more than "
                + maxSeries + " series (exporter.query.max-series); narrow it with "
                + (q.name().isEmpty() ? "a name or " : "") + "more label filters");
    }

    /**
     * The full answer: every instance's memory, plus the history tier where needed.
     *
     * @param windowStart the start of the window as the query was parsed against it
     */
    public Answer query(MetricsQuery q, long windowStart) {
        List<MetricView> memory = new ArrayList<>();
        Set<String> held = new HashSet<>();
        List<Integer> missing = new ArrayList<>();
        List<String> unreachable = new ArrayList<>();
        for (Instance md : instances()) {
            HostInfo host = md.host();
            LocalAnswer a;
            if (host.equals(self)) {
                a = localAnswer(q);
            } else {
                try {
                    a = remote(host, q);
                } catch (HttpError e) {
                    if (e.status() != 503) {
                        throw e;
                    }
                    // its series come from the history tier below, as for series no instance holds
                    unreachable.add(host.host() + ":" + host.port());
                    md.partitions().forEach(tp -> missing.add(tp.partition()));
                    continue;
                }
            }
            memory.addAll(a.metrics());
            held.addAll(a.keys());
        }
        missing.sort(null);
        List<MetricView> older = List.of();
        if (history.isPresent()) {
            HistoryTier h = history.get();
            List<String> stored = h.seriesKeys(q, maxSeries + 1);
            if (stored.size() > maxSeries) {
                throw tooManySeries(q);
            }
            if (q.from() < windowStart) {
                older = h.samples(stored, q.from(), q.to(), q.limit());
            } else {
                List<String> notHeld = new ArrayList<>();
                for (String k : stored) {
                    if (!held.contains(k)) {
                        notHeld.add(k);
                    }
                }
                if (!notHeld.isEmpty()) {
                    notHeld.forEach(k -> local.pool().stats().missElsewhere());
                    older = h.samples(notHeld, q.from(), q.to(), q.limit());
                    loadOwned(older);
                }
            }
        }
        List<MetricView> merged = merge(memory, older, q.limit());
        String tier = older.isEmpty() ? "memory" : memory.isEmpty() ? "postgres" : "memory+postgres";
        return new Answer(tier, merged.size(), !unreachable.isEmpty(), missing, unreachable, merged);
    }

    /** Memory first; history adds what memory does not have (same series and timestamp). */
    static List<MetricView> merge(List<MetricView> memory, List<MetricView> history, int limit) {
        if (history.isEmpty()) {
            List<MetricView> all = new ArrayList<>(memory);
            all.sort(MetricView::newestFirst);
            return all.size() > limit ? List.copyOf(all.subList(0, limit)) : all;
        }
        Map<String, MetricView> byKey = new LinkedHashMap<>();
        for (MetricView v : memory) {
            byKey.put(SeriesKey.format(v.name(), Labels.of(v.labels())) + "@" + v.timestamp(), v);
        }
        for (MetricView v : history) {
            byKey.putIfAbsent(SeriesKey.format(v.name(), Labels.of(v.labels())) + "@" + v.timestamp(), v);
        }
        List<MetricView> all = new ArrayList<>(byKey.values());
        all.sort(MetricView::newestFirst);
        return all.size() > limit ? List.copyOf(all.subList(0, limit)) : all;
    }

    /** History answers for series this instance owns go back into its store: the store is the hot tier. */
    private void loadOwned(List<MetricView> fromHistory) {
        long windowStart = windowStart();
        SeriesPool pool = local.pool();
        for (MetricView v : fromHistory) {
            if (v.timestamp() < windowStart || !(v.value() instanceof Number n)) {
                continue;
            }
            Metric m = Metric.of(v.name(), v.timestamp(), n.doubleValue(), v.labels());
            String key = m.seriesKey();
            KeyQueryMetadata md = local.streams().queryMetadataForKey(ExporterTopology.STORE, key, new StringSerializer());
            if (md != null && self.equals(md.activeHost())) {
                // received as of its own time: loading history does not make a stale series fresh
                pool.put(md.partition(), key, m, Math.max(m.timestamp(), windowStart));
            }
        }
    }

    /** Store statistics summed over every instance. */
    public Stats stats() {
        Stats total = null;
        for (HostInfo host : instances().stream().map(Instance::host).toList()) {
            Stats s = host.equals(self) ? Stats.of(local.pool()) : remoteStats(host);
            total = total == null ? s : total.plus(s);
        }
        return total;
    }

    public Stats localStats() {
        return Stats.of(local.pool());
    }

    /** An instance of the exporter and the partitions whose store it holds. */
    private record Instance(HostInfo host, Set<TopicPartition> partitions) {
    }

    /** The instances that hold part of the store, and this one (with no partitions yet, or metadata not yet known). */
    private List<Instance> instances() {
        local.pool(); // 503 while not queryable
        List<Instance> hosts = new ArrayList<>();
        boolean selfListed = false;
        for (StreamsMetadata md : local.streams().metadataForAllStreamsClients()) {
            if (md.stateStoreNames().contains(ExporterTopology.STORE)) {
                hosts.add(new Instance(md.hostInfo(), md.topicPartitions()));
                selfListed |= md.hostInfo().equals(self);
            }
        }
        if (!selfListed) {
            hosts.add(new Instance(self, Set.of()));
        }
        return hosts;
    }

    private LocalAnswer remote(HostInfo host, MetricsQuery q) {
        return get(host, INTERNAL_METRICS + "?" + q.toQueryString(), LocalAnswer.class);
    }

    private Stats remoteStats(HostInfo host) {
        return get(host, INTERNAL_STATS, Stats.class);
    }

    private <T> T get(HostInfo host, String pathAndQuery, Class<T> type) {
        try {
            return JSON.readValue(peers.get(host, pathAndQuery), type);
        } catch (IOException e) {
            throw HttpError.unavailable("instance " + host.host() + ":" + host.port() + " unreachable: " + e, 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw HttpError.unavailable("interrupted", 1);
        }
    }

}
