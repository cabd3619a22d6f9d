package io.mpipe.collector.remotewrite;

import com.google.protobuf.InvalidProtocolBufferException;
import io.mpipe.collector.CollectorMetrics;
import io.mpipe.collector.publish.MetricPublisher;
import io.mpipe.common.http.HttpError;
import io.mpipe.common.http.RouteRequest;
import io.mpipe.common.http.ServiceHttpServer;
import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;
import io.mpipe.common.prompb.Remote.WriteRequest;
import io.mpipe.common.prompb.Types;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.xerial.snappy.Snappy;

/**
 * {@code POST /api/v1/write}: Prometheus remote write 1.0 (a protobuf {@code WriteRequest},
 * snappy block-compressed). Each sample becomes a metric record ({@code __name__} its name, the
 * other labels its labels) on the topic, through the collector's idempotent producer, and the
 * answer is 204 only once the broker acknowledged every record of the request: a request answered
 * otherwise is sent again by Prometheus, and PostgreSQL's one row per series and timestamp makes
 * that free.
 *
 * <p>400 (Prometheus does not retry it) for a body that is not snappy or not a {@code WriteRequest},
 * or a series that breaks the wire-format rules (the reason names the series and the rule; nothing
 * of the request is sent); 415 for remote write 2.0. 503 with {@code Retry-After} when the request
 * would pass {@code max-samples-per-second}, when the publisher's buffer has no room for it, and
 * when the broker has not acknowledged within {@code ack-timeout}: Prometheus sends it again.
 *
 * <p>Left out, and counted: Prometheus's staleness markers (a NaN of one bit pattern, which says a
 * series ended, not a value), native histograms, exemplars and metadata.
 */
public final class RemoteWriteReceiver implements ServiceHttpServer.JsonRoute {
    public static final String PATH = "/api/v1/write";
    /** The NaN Prometheus writes to say a series went stale (value.StaleNaN). */
    static final long STALE_NAN_BITS = 0x7ff0000000000002L;
    static final int RETRY_AFTER_SECONDS = 1;
    static final int BROKER_RETRY_AFTER_SECONDS = 5;

    private final RemoteWriteSettings settings;
    private final MetricPublisher publisher;
    private final CollectorMetrics metrics;
    private final RateLimit rate;

    public RemoteWriteReceiver(RemoteWriteSettings settings, MetricPublisher publisher, CollectorMetrics metrics) {
        this.settings = settings;
        this.publisher = publisher;
        this.metrics = metrics;
        this.rate = new RateLimit(settings.maxSamplesPerSecond());
    }

    public int maxBodyBytes() {
        return settings.maxBodyBytes();
    }

    /** What a request holds: the metrics to send, their series keys, and what was left out. */
    record Decoded(List<Metric> metrics, List<String> seriesKeys, int staleMarkers, int histograms, int exemplars) {
    }

    @Override
    public Object handle(RouteRequest request) throws IOException {
        Decoded d;
        try {
            checkContentType(request.header("Content-Type"));
            d = decode(request.header("Content-Encoding"), request.body(), settings.maxSamplesPerRequest(),
                    settings.maxDecodedBytes());
        } catch (HttpError e) {
            metrics.remoteWriteRequests.labels(Integer.toString(e.status())).inc();
            throw e;
        }
        metrics.remoteWriteIgnored.labels("stale_marker").inc(d.staleMarkers());
        metrics.remoteWriteIgnored.labels("histogram").inc(d.histograms());
        metrics.remoteWriteIgnored.labels("exemplar").inc(d.exemplars());
        int n = d.metrics().size();
        // 503, not 429: Prometheus sends a request again after any 5xx, after a 429 only when told to
        if (!rate.tryTake(n)) {
            metrics.remoteWriteRequests.labels("503").inc();
            throw new HttpError(503, "more than collector.remote-write.max-samples-per-second ("
                    + (long) settings.maxSamplesPerSecond() + ") samples a second; send again later",
                    RETRY_AFTER_SECONDS);
        }
        CompletableFuture<Void> acked = publisher.submit(d.metrics(), d.seriesKeys());
        if (acked == null) {
            rate.giveBack(n);
            metrics.remoteWriteRequests.labels("503").inc();
            throw new HttpError(503, "the collector's buffer (collector.producer.max-buffered-records) has no room for "
                    + n + " more records: the broker is slow or away; send again later", RETRY_AFTER_SECONDS);
        }
        try {
            acked.get(settings.ackTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            metrics.remoteWriteRequests.labels("503").inc();
            throw new HttpError(503, "the broker did not acknowledge the request's " + n + " records within "
                    + "collector.remote-write.ack-timeout; send again later", BROKER_RETRY_AFTER_SECONDS);
        } catch (ExecutionException e) {
            metrics.remoteWriteRequests.labels("503").inc();
            throw new HttpError(503, "records not delivered to the broker: " + e.getCause(),
                    BROKER_RETRY_AFTER_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "interrupted while waiting for the broker", BROKER_RETRY_AFTER_SECONDS);
        }
        metrics.remoteWriteRequests.labels("204").inc();
        metrics.remoteWriteSamples.inc(n);
        return ServiceHttpServer.Reply.noContent();
    }

    /**
     * Remote write 1.0 only: a sender of 2.0 says so in the content type
     * ({@code proto=io.prometheus.write.v2.Request}) and is told 415, as the specification asks, so
     * it falls back to 1.0 rather than have its request read as an empty 1.0 one.
     */
    static void checkContentType(String contentType) {
        if (contentType == null) {
            return;
        }
        for (String part : contentType.split(";")) {
            String p = part.strip();
            if (p.regionMatches(true, 0, "proto=", 0, 6)) {
                String proto = p.substring(6).strip();
                if (!proto.equals("prometheus.WriteRequest")) {
                    throw new HttpError(415, "Content-Type: proto=" + proto + " is not taken; this receiver takes"
                            + " remote write 1.0 (prometheus.WriteRequest)");
                }
            }
        }
    }

    /**
     * The metrics of a request body, checked in full before anything is sent.
     *
     * @throws HttpError 400 naming what is wrong
     */
    static Decoded decode(String contentEncoding, byte[] body, int maxSamples, long maxDecodedBytes) throws HttpError {
        if (contentEncoding != null && !contentEncoding.strip().toLowerCase(Locale.ROOT).equals("snappy")) {
            throw new HttpError(400, "Content-Encoding: '" + contentEncoding + "': remote write bodies are snappy");
        }
        byte[] raw;
        try {
            if (!Snappy.isValidCompressedBuffer(body)) {
                throw new HttpError(400, "body: not snappy block-compressed data");
            }
            int length = Snappy.uncompressedLength(body);
            if (length < 0 || length > maxDecodedBytes) {
                throw new HttpError(400, "body: says it uncompresses to " + length + " bytes, more than"
                        + " collector.remote-write.max-decoded-bytes (" + maxDecodedBytes + ")");
            }
            raw = Snappy.uncompress(body);
        } catch (IOException e) {
            throw new HttpError(400, "body: not snappy block-compressed data: " + e.getMessage());
        }
        WriteRequest req;
        try {
            req = WriteRequest.parseFrom(raw);
        } catch (InvalidProtocolBufferException e) {
            throw new HttpError(400, "body: not a protobuf prometheus.WriteRequest: " + e.getMessage());
        }
        int total = 0;
        for (Types.TimeSeries ts : req.getTimeseriesList()) {
            total += ts.getSamplesCount();
        }
        if (total > maxSamples) {
            throw new HttpError(400, "the request carries " + total + " samples, more than"
                    + " collector.remote-write.max-samples-per-request (" + maxSamples + ")");
        }
        List<Metric> out = new ArrayList<>(total);
        List<String> keys = new ArrayList<>(total);
        int stale = 0;
        int histograms = 0;
        int exemplars = 0;
        for (int i = 0; i < req.getTimeseriesCount(); i++) {
            Types.TimeSeries ts = req.getTimeseries(i);
            histograms += ts.getHistogramsCount();
            exemplars += ts.getExemplarsCount();
            String name = null;
            Labels.Builder labels = Labels.builder();
            String previous = null;
            try {
                for (Types.Label l : ts.getLabelsList()) {
                    if (previous != null && previous.compareTo(l.getName()) >= 0) {
                        throw new InvalidMetricException("labels", "label names are not sorted and unique ('"
                                + previous + "' before '" + l.getName() + "'), as remote write requires");
                    }
                    previous = l.getName();
                    if (l.getName().equals("__name__")) {
                        name = l.getValue();
                    } else {
                        labels.put(l.getName(), l.getValue());
                    }
                }
                if (name == null || name.isEmpty()) {
                    throw new InvalidMetricException("name", "the series has no __name__ label");
                }
                MetricRules.checkName(name);
                Labels built = labels.build();
                String key = null;
                for (Types.Sample s : ts.getSamplesList()) {
                    if (Double.doubleToRawLongBits(s.getValue()) == STALE_NAN_BITS) {
                        stale++;
                        continue;
                    }
                    Metric m = new Metric(name, s.getTimestamp(), s.getValue(), built);
                    if (key == null) {
                        key = m.seriesKey();
                        MetricPublisher.checkSendable(key);
                    }
                    out.add(m);
                    keys.add(key);
                }
            } catch (InvalidMetricException e) {
                throw new HttpError(400, "timeseries[" + i + "] " + describe(ts) + ": " + e.field() + ": "
                        + e.reason());
            }
        }
        return new Decoded(out, keys, stale, histograms, exemplars);
    }

    /** The series as Prometheus names it, cut short, for an error. */
    private static String describe(Types.TimeSeries ts) {
        StringBuilder sb = new StringBuilder("{");
        for (Types.Label l : ts.getLabelsList()) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(l.getName()).append("=\"").append(l.getValue()).append('"');
            if (sb.length() > 200) {
                return sb.substring(0, 200) + "...}";
            }
        }
        return sb.append('}').toString();
    }
}
