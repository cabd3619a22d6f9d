package io.mpipe.collector.source;

import io.mpipe.common.metric.Metric;
import java.time.Duration;
import java.util.List;

/**
 * Something the collector polls on an interval for metrics: one mirror-node endpoint, the
 * synthetic load generator. A failing poll throws; the {@link SourceRunner} counts it, marks the
 * source down and polls it again at the next interval, and the other sources go on.
 */
public interface Source {

    /** Short, stable name: the {@code source} label of the collector's own metrics. */
    String name();

    /** Time between the end of one poll and the start of the next. */
    Duration interval();

    /**
     * One poll.
     *
     * @param nowMillis the time of the poll, for timestamps and ages
     * @return the metrics to publish (possibly none)
     * @throws Exception when the poll failed; nothing of it is published
     */
    List<Metric> poll(long nowMillis) throws Exception;
}
