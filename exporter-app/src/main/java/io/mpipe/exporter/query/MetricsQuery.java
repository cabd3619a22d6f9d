package io.mpipe.exporter.query;

import io.mpipe.common.http.HttpError;
import io.mpipe.common.http.QueryString;
import io.mpipe.common.metric.MetricRules;
import io.mpipe.exporter.store.SeriesWindow;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A validated query: a metric name and/or label filters, a time range and a limit. Every input is
 * checked against the Prometheus naming rules before it reaches a store or a SQL statement, and
 * the limit is capped.
 *
 * @param name   metric name, or empty for any
 * @param labels label filters, all of which must match
 */
public record MetricsQuery(Optional<String> name, Map<String, String> labels, long from, long to, int limit) {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 10_000;
    public static final int MAX_LABEL_FILTERS = 16;

    public MetricsQuery {
        labels = Map.copyOf(labels);
    }

    /** {@code /api/v1/metrics?name=&label=k=v&from=&to=&limit=}; name or a label is required. */
    public static MetricsQuery parse(QueryString q, long nowMs, long defaultFromMs) {
        Optional<String> name = Optional.ofNullable(q.get("name")).filter(s -> !s.isEmpty());
        name.ifPresent(n -> {
            if (n.length() > MetricRules.MAX_NAME_LENGTH || !MetricRules.isValidName(n)) {
                throw HttpError.badRequest("name: '" + abbreviate(n) + "' is not a metric name ("
                        + MetricRules.NAME_PATTERN + ")");
            }
        });
        Map<String, String> labels = new LinkedHashMap<>();
        List<String> filters = q.all("label");
        if (filters.size() > MAX_LABEL_FILTERS) {
            throw HttpError.badRequest("label: at most " + MAX_LABEL_FILTERS + " filters");
        }
        for (String f : filters) {
            int eq = f.indexOf('=');
            if (eq <= 0) {
                throw HttpError.badRequest("label: '" + abbreviate(f) + "' must be name=value");
            }
            putLabel(labels, f.substring(0, eq), f.substring(eq + 1));
        }
        if (name.isEmpty() && labels.isEmpty()) {
            throw HttpError.badRequest("name: is required (or at least one label=name=value filter)");
        }
        return of(q, name, labels, nowMs, defaultFromMs);
    }

    /**
     * The range and the limit: {@code to} by default now; {@code from} by default as far before
     * {@code to} as {@code defaultFromMs} is before now (the window, so {@code to} alone looks at
     * the window before it); {@code from} after {@code to} is a bad request, not an empty answer.
     */
    private static MetricsQuery of(QueryString q, Optional<String> name, Map<String, String> labels, long nowMs,
            long defaultFromMs) {
        long to = time(q, "to", nowMs);
        long from = time(q, "from", to - (nowMs - defaultFromMs));
        if (from > to) {
            throw HttpError.badRequest("from: " + Instant.ofEpochMilli(from) + " is after to: " + Instant.ofEpochMilli(to));
        }
        return new MetricsQuery(name, labels, from, to, q.intParam("limit", DEFAULT_LIMIT, 1, MAX_LIMIT));
    }

    /** {@code /api/v1/metrics/account?key=&value=&limit=}: the original monitor's label lookup. */
    public static MetricsQuery parseLabelLookup(QueryString q, long nowMs, long defaultFromMs) {
        String key = q.get("key");
        String value = q.get("value");
        if (key == null || key.isEmpty()) {
            throw HttpError.badRequest("key: is required (a label name, e.g. account)");
        }
        if (value == null) {
            throw HttpError.badRequest("value: is required");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        putLabel(labels, key, value);
        Optional<String> name = Optional.ofNullable(q.get("name")).filter(s -> !s.isEmpty());
        name.ifPresent(n -> {
            if (!MetricRules.isValidName(n)) {
                throw HttpError.badRequest("name: '" + abbreviate(n) + "' is not a metric name");
            }
        });
        return of(q, name, labels, nowMs, defaultFromMs);
    }

    private static void putLabel(Map<String, String> labels, String k, String v) {
        if (k.length() > MetricRules.MAX_LABEL_NAME_LENGTH || !MetricRules.isValidLabelName(k)) {
            throw HttpError.badRequest("label: '" + abbreviate(k) + "' is not a label name ("
                    + MetricRules.LABEL_NAME_PATTERN + ")");
        }
        if (v.length() > MetricRules.MAX_LABEL_VALUE_LENGTH) {
            throw HttpError.badRequest("label: value of " + k + " is longer than " + MetricRules.MAX_LABEL_VALUE_LENGTH);
        }
        labels.put(k, v);
    }

    private static long time(QueryString q, String param, long def) {
        String v = q.get(param);
        if (v == null || v.isEmpty()) {
            return def;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            try {
                return Instant.parse(v).toEpochMilli();
            } catch (DateTimeParseException e2) {
                throw HttpError.badRequest(param + ": '" + abbreviate(v)
                        + "' is neither epoch milliseconds nor an ISO-8601 instant");
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }

    /** The filter over the store's series. */
    public Predicate<SeriesWindow> matcher() {
        return w -> (name.isEmpty() || name.get().equals(w.name())) && labelsMatch(w);
    }

    private boolean labelsMatch(SeriesWindow w) {
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (!e.getValue().equals(w.labels().get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** The query as URL parameters, for forwarding to another instance. */
    public String toQueryString() {
        StringBuilder sb = new StringBuilder();
        name.ifPresent(n -> sb.append("name=").append(enc(n)).append('&'));
        labels.forEach((k, v) -> sb.append("label=").append(enc(k + "=" + v)).append('&'));
        sb.append("from=").append(from).append("&to=").append(to).append("&limit=").append(limit);
        return sb.toString();
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }
}
