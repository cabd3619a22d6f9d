package io.mpipe.collector;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;

/** The collector's own metrics, registered on the registry passed in. */
public final class CollectorMetrics {
    public final Counter polls;
    public final Histogram pollSeconds;
    public final Gauge up;
    public final Counter produced;
    public final Counter sendErrors;
    public final Counter dropped;
    private final Gauge buffered;
    public final Counter rejected;
    public final Counter badResponses;
    public final Counter httpRetries;
    public final Counter remoteWriteRequests;
    public final Counter remoteWriteSamples;
    public final Counter remoteWriteIgnored;

    public CollectorMetrics(CollectorRegistry registry) {
        polls = Counter.build("collector_polls_total", "Polls of each source, by outcome (ok, error)")
                .labelNames("source", "outcome").register(registry);
        pollSeconds = Histogram.build("collector_poll_duration_seconds", "Time one poll of a source takes")
                .labelNames("source").buckets(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
                .register(registry);
        up = Gauge.build("collector_up", "1 when the last poll of the source succeeded, else 0")
                .labelNames("source").register(registry);
        // counted once a record: no exemplar sampling (nothing here is traced), which costs more than the count
        produced = Counter.build("collector_records_produced_total", "Records the broker acknowledged")
                .withoutExemplars().register(registry);
        sendErrors = Counter.build("collector_send_errors_total",
                "Records the producer gave up on after its retries (broker away longer than the delivery timeout)")
                .register(registry);
        dropped = Counter.build("collector_dropped_records_total",
                "Records dropped because the buffer was full while the broker was away").register(registry);
        buffered = Gauge.build("collector_buffered_records", "Records taken but not yet acknowledged by the broker")
                .register(registry);
        rejected = Counter.build("collector_rejected_records_total",
                "Metrics a source built that break the wire-format rules (not sent), by source")
                .labelNames("source").register(registry);
        badResponses = Counter.build("collector_bad_responses_total",
                "Responses that did not have the expected shape, by source").labelNames("source").register(registry);
        httpRetries = Counter.build("collector_http_retries_total",
                "HTTP requests retried, by source and reason (429, 5xx, timeout, io)")
                .labelNames("source", "reason").register(registry);
        remoteWriteRequests = Counter.build("collector_remote_write_requests_total",
                "Remote write requests by the status answered (204, 400, 415, 503)").labelNames("status").register(registry);
        for (String status : new String[] {"204", "400", "415", "503"}) {
            remoteWriteRequests.labels(status);
        }
        remoteWriteSamples = Counter.build("collector_remote_write_samples_total",
                "Samples of remote write requests the broker acknowledged").withoutExemplars().register(registry);
        remoteWriteIgnored = Counter.build("collector_remote_write_ignored_total",
                "What remote write requests carried that is not stored: stale_marker, histogram, exemplar")
                .labelNames("kind").register(registry);
        for (String kind : new String[] {"stale_marker", "histogram", "exemplar"}) {
            remoteWriteIgnored.labels(kind);
        }
    }

    /** Reports the buffer at scrape time, instead of counting every record in and out. */
    public void bufferedFrom(java.util.function.IntSupplier buffered) {
        this.buffered.setChild(new Gauge.Child() {
            @Override
            public double get() {
                return buffered.getAsInt();
            }
        });
    }
}
