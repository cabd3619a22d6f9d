package io.mpipe.collector.source;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.collector.publish.MetricPublisher;
import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Metric;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls each source on its own interval and offers what it returns to the publisher. A poll that
 * throws is counted, logged, and marks the source down ({@code collector_up{source} 0}) until a
 * poll succeeds; it never stops the other sources or the collector.
 */
public final class SourceRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SourceRunner.class);

    private final List<Source> sources;
    private final MetricPublisher publisher;
    private final CollectorMetrics metrics;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;

    public SourceRunner(List<Source> sources, MetricPublisher publisher, CollectorMetrics metrics, Clock clock) {
        this.sources = List.copyOf(sources);
        this.publisher = publisher;
        this.metrics = metrics;
        this.clock = clock;
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(Math.max(1, Math.min(4, sources.size())), r -> {
            Thread t = new Thread(r, "collector-source");
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        this.scheduler = s;
    }

    public void start() {
        for (Source src : sources) {
            metrics.up.labels(src.name()).set(0);
            // both outcomes exported from the start, at 0: a rate over them needs the series before the first
            metrics.polls.labels(src.name(), "ok");
            metrics.polls.labels(src.name(), "error");
            scheduler.scheduleWithFixedDelay(() -> pollOnce(src), 0, src.interval().toMillis(), TimeUnit.MILLISECONDS);
            log.info("collector: source {} every {}", src.name(), src.interval());
        }
    }

    /** One poll of one source, with its accounting. Never throws. */
    public void pollOnce(Source src) {
        long t0 = System.nanoTime();
        try {
            List<Metric> out = src.poll(clock.millis());
            int rejected = 0;
            List<Metric> sendable = new ArrayList<>(out.size());
            List<String> keys = new ArrayList<>(out.size());
            for (Metric m : out) {
                String key = m.seriesKey();
                try {
                    MetricPublisher.checkSendable(key);
                } catch (InvalidMetricException e) {
                    rejected++;
                    metrics.rejected.labels(src.name()).inc();
                    continue;
                }
                sendable.add(m);
                keys.add(key);
            }
            publisher.offer(sendable, keys);
            if (rejected > 0) {
                log.warn("collector: {} produced {} metric(s) that break the wire-format rules; not sent",
                        src.name(), rejected);
            }
            metrics.polls.labels(src.name(), "ok").inc();
            metrics.up.labels(src.name()).set(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception | Error e) {
            if (e instanceof VirtualMachineError vme) {
                throw vme;
            }
            metrics.polls.labels(src.name(), "error").inc();
            metrics.up.labels(src.name()).set(0);
            log.warn("collector: source {} failed; will retry in {}: {}", src.name(), src.interval(), e.toString());
        } finally {
            metrics.pollSeconds.labels(src.name()).observe((System.nanoTime() - t0) / 1e9);
        }
    }

    public List<Source> sources() {
        return sources;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
