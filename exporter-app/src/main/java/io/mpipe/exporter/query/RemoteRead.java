package io.mpipe.exporter.query;

import com.google.protobuf.InvalidProtocolBufferException;
import io.mpipe.common.http.HttpError;
import io.mpipe.common.http.RouteRequest;
import io.mpipe.common.http.ServiceHttpServer;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.MetricRules;
import io.mpipe.common.metric.SeriesKey;
import io.mpipe.common.prompb.Remote;
import io.mpipe.common.prompb.Types;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.xerial.snappy.Snappy;

/**
 * {@code POST /api/v1/read}: Prometheus remote read (the samples response type), so a Prometheus
 * with a {@code remote_read} entry pointing here runs PromQL over the whole retained history.
 *
 * <p>Each query's matchers ({@code =}, {@code !=}, {@code =~}, {@code !~}) are answered over its
 * time range from PostgreSQL (the history tier, {@code exporter.history.enabled}), with the newest
 * samples not yet there from the store (every instance's, as the query API answers). A query needs
 * an {@code =} matcher with a value, on {@code __name__} or a label, so that it is answered from an
 * index; it may match at most {@code exporter.query.max-series} series and
 * {@code exporter.remote-read.max-samples} samples (400 beyond, naming the bound), the same cost
 * bounds as the query API's. Streamed chunks are not offered: Prometheus falls back to samples.
 */
public final class RemoteRead implements ServiceHttpServer.JsonRoute {
    public static final String PATH = "/api/v1/read";
    static final int MAX_BODY_BYTES = 1 << 20;
    static final int MAX_QUERIES = 64;

    private final QueryService service;
    private final int maxSamples;

    public RemoteRead(QueryService service, int maxSamples) {
        this.service = service;
        this.maxSamples = maxSamples;
    }

    public static int maxBodyBytes() {
        return MAX_BODY_BYTES;
    }

    @Override
    public Object handle(RouteRequest request) throws IOException {
        Remote.ReadRequest req = decode(request.body());
        if (req.getQueriesCount() > MAX_QUERIES) {
            throw HttpError.badRequest("queries: " + req.getQueriesCount() + " in one request, at most " + MAX_QUERIES);
        }
        Remote.ReadResponse.Builder out = Remote.ReadResponse.newBuilder();
        int budget = maxSamples;
        for (int i = 0; i < req.getQueriesCount(); i++) {
            Remote.QueryResult r = answer(i, req.getQueries(i), budget);
            for (Types.TimeSeries ts : r.getTimeseriesList()) {
                budget -= ts.getSamplesCount();
            }
            out.addResults(r);
        }
        byte[] body = Snappy.compress(out.build().toByteArray());
        return new ServiceHttpServer.Reply(200, "application/x-protobuf", Map.of("Content-Encoding", "snappy"), body);
    }

    static Remote.ReadRequest decode(byte[] body) {
        try {
            if (!Snappy.isValidCompressedBuffer(body)) {
                throw HttpError.badRequest("body: not snappy block-compressed data");
            }
            if (Snappy.uncompressedLength(body) > 8 * MAX_BODY_BYTES) {
                throw HttpError.badRequest("body: uncompresses to more than " + 8 * MAX_BODY_BYTES + " bytes");
            }
            return Remote.ReadRequest.parseFrom(Snappy.uncompress(body));
        } catch (InvalidProtocolBufferException e) {
            throw HttpError.badRequest("body: not a protobuf prometheus.ReadRequest: " + e.getMessage());
        } catch (IOException e) {
            throw HttpError.badRequest("body: not snappy block-compressed data: " + e.getMessage());
        }
    }

    /** A query's matchers as a filter on series, and the equality ones an index can answer. */
    record Selector(Optional<String> name, Map<String, String> equal, List<Matcher> rest) {
        boolean matches(String seriesName, Map<String, String> labels) {
            for (Matcher m : rest) {
                String v = m.name().equals("__name__") ? seriesName : labels.getOrDefault(m.name(), "");
                if (!m.matches(v)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** One matcher; a label a series lacks has the value "" (as in Prometheus). */
    record Matcher(String name, Types.LabelMatcher.Type type, String value, Pattern regex) {
        boolean matches(String v) {
            return switch (type) {
                case EQ -> v.equals(value);
                case NEQ -> !v.equals(value);
                case RE -> regex.matcher(v).matches();
                case NRE -> !regex.matcher(v).matches();
                default -> false;
            };
        }
    }

    static Selector selector(int i, Remote.Query q) {
        String name = null;
        Map<String, String> equal = new LinkedHashMap<>();
        List<Matcher> rest = new ArrayList<>();
        for (Types.LabelMatcher m : q.getMatchersList()) {
            Types.LabelMatcher.Type type = m.getType();
            if (type == Types.LabelMatcher.Type.UNRECOGNIZED) {
                throw HttpError.badRequest("queries[" + i + "]: matcher on " + m.getName() + " of an unknown type");
            }
            if (type == Types.LabelMatcher.Type.EQ && !m.getValue().isEmpty()) {
                if (m.getName().equals("__name__")) {
                    if (!MetricRules.isValidName(m.getValue())) {
                        return null; // no series can match
                    }
                    name = m.getValue();
                } else if (equal.size() < MetricsQuery.MAX_LABEL_FILTERS && MetricRules.isValidLabelName(m.getName())) {
                    equal.put(m.getName(), m.getValue());
                }
            }
            Pattern regex = null;
            if (type == Types.LabelMatcher.Type.RE || type == Types.LabelMatcher.Type.NRE) {
                try {
                    regex = Pattern.compile(m.getValue(), Pattern.DOTALL);
                } catch (PatternSyntaxException e) {
                    throw HttpError.badRequest("queries[" + i + "]: " + m.getName() + "=~: not a regular expression: "
                            + e.getDescription());
                }
            }
            rest.add(new Matcher(m.getName(), type, m.getValue(), regex));
        }
        if (name == null && equal.isEmpty()) {
            throw HttpError.badRequest("queries[" + i + "]: needs a matcher __name__=\"...\" or label=\"value\": a"
                    + " query with only !=, =~ or !~ would read every series");
        }
        return new Selector(Optional.ofNullable(name), equal, rest);
    }

    private Remote.QueryResult answer(int i, Remote.Query q, int budget) {
        Selector sel = selector(i, q);
        Remote.QueryResult.Builder result = Remote.QueryResult.newBuilder();
        if (sel == null || q.getStartTimestampMs() > q.getEndTimestampMs()) {
            return result.build();
        }
        long from = q.getStartTimestampMs();
        long to = q.getEndTimestampMs();
        // series key -> (timestamp -> value): the store's samples first, PostgreSQL's beside them
        Map<String, TreeMap<Long, Double>> bySeries = new HashMap<>();
        Map<String, MetricView> first = new HashMap<>();
        int[] count = {0};
        long windowStart = service.windowStart();
        Optional<HistoryTier> history = service.history();
        if (to >= windowStart) {
            MetricsQuery recent = new MetricsQuery(sel.name(), sel.equal(), Math.max(from, windowStart), to,
                    MetricsQuery.MAX_LIMIT);
            QueryService.Answer a = service.query(recent, windowStart);
            boolean cut = a.count() >= MetricsQuery.MAX_LIMIT;
            if (history.isEmpty() && cut) {
                throw HttpError.badRequest("queries[" + i + "]: more than " + MetricsQuery.MAX_LIMIT + " samples in the"
                        + " store's window, which is all there is without the history tier (exporter.history.enabled)");
            }
            if (history.isEmpty() && a.partial()) {
                throw HttpError.unavailable("queries[" + i + "]: exporter instances " + a.unreachable()
                        + " cannot be asked, and there is no history tier to answer for their partitions", 5);
            }
            if (!cut) {
                // when cut, PostgreSQL below answers for the window as well
                add(a.metrics(), sel, bySeries, first, count, budget);
            }
        }
        if (history.isPresent()) {
            MetricsQuery all = new MetricsQuery(sel.name(), sel.equal(), from, to, budget + 1);
            List<String> keys = history.get().seriesKeys(all, service.maxSeries() + 1);
            if (keys.size() > service.maxSeries()) {
                throw HttpError.badRequest("queries[" + i + "]: matches more than " + service.maxSeries()
                        + " series (exporter.query.max-series); narrow it with more matchers");
            }
            // the other matchers first: samples of series they leave out would use up the budget
            List<String> matching = new ArrayList<>(keys.size());
            for (String key : keys) {
                SeriesKey.Parsed p = SeriesKey.parse(key);
                if (sel.matches(p.name(), p.labels())) {
                    matching.add(key);
                }
            }
            add(history.get().samples(matching, from, to, budget + 1), sel, bySeries, first, count, budget);
        }
        List<String> keys = new ArrayList<>(bySeries.keySet());
        keys.sort(null);
        for (String key : keys) {
            MetricView v = first.get(key);
            Types.TimeSeries.Builder ts = Types.TimeSeries.newBuilder();
            TreeMap<String, String> labels = new TreeMap<>(v.labels());
            labels.put("__name__", v.name());
            labels.forEach((k, val) -> ts.addLabels(Types.Label.newBuilder().setName(k).setValue(val)));
            bySeries.get(key).forEach((t, val) -> ts.addSamples(Types.Sample.newBuilder().setTimestamp(t).setValue(val)));
            result.addTimeseries(ts);
        }
        return result.build();
    }

    private void add(List<MetricView> views, Selector sel, Map<String, TreeMap<Long, Double>> bySeries,
            Map<String, MetricView> first, int[] count, int budget) {
        for (MetricView v : views) {
            if (!sel.matches(v.name(), v.labels())) {
                continue;
            }
            String key = SeriesKey.format(v.name(), Labels.of(v.labels()));
            if (bySeries.computeIfAbsent(key, k -> new TreeMap<>()).putIfAbsent(v.timestamp(), value(v)) == null) {
                first.putIfAbsent(key, v);
                if (++count[0] > budget) {
                    throw HttpError.badRequest("the request matches more than " + maxSamples
                            + " samples (exporter.remote-read.max-samples); ask for a shorter range or fewer series");
                }
            }
        }
    }

    private static double value(MetricView v) {
        if (v.value() instanceof Number n) {
            return n.doubleValue();
        }
        return switch (String.valueOf(v.value())) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.NaN;
        };
    }
}
