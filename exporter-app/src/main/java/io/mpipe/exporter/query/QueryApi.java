package io.mpipe.exporter.query;

import io.mpipe.common.http.HttpError;
import io.mpipe.common.http.QueryString;
import io.mpipe.common.http.ServiceHttpServer;
import io.mpipe.exporter.ExporterMetrics;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The query API on the exporter's HTTP server. The public routes are the original monitor's:
 * {@code /api/v1/metrics}, {@code /api/v1/metrics/account}, {@code /api/v1/storage/stats}, plus
 * {@code /ready}. The {@code /api/v1/internal/*} routes are how instances ask each other for their
 * part of an answer.
 */
public final class QueryApi {

    private QueryApi() {
    }

    public static void register(ServiceHttpServer server, QueryService service, ExporterMetrics metrics,
            BooleanSupplier ready) {
        server.probeRoute("/ready", ex -> {
            if (!ready.getAsBoolean()) {
                throw HttpError.unavailable("not ready: the store is being built or rebalanced", 2);
            }
            return Map.of("status", "READY");
        });
        server.route("/api/v1/metrics", ex -> {
            QueryString qs = QueryString.of(ex.getRequestURI());
            long windowStart = service.windowStart();
            MetricsQuery q = MetricsQuery.parse(qs, service.now(), windowStart);
            QueryService.Answer a = service.query(q, windowStart);
            metrics.queries.labels("/api/v1/metrics", a.tier()).inc();
            return a;
        });
        server.route("/api/v1/metrics/account", ex -> {
            QueryString qs = QueryString.of(ex.getRequestURI());
            long windowStart = service.windowStart();
            MetricsQuery q = MetricsQuery.parseLabelLookup(qs, service.now(), windowStart);
            QueryService.Answer a = service.query(q, windowStart);
            metrics.queries.labels("/api/v1/metrics/account", a.tier()).inc();
            return a;
        });
        server.route("/api/v1/storage/stats", ex -> service.stats());
        server.internalRoute(QueryService.INTERNAL_METRICS, ex -> {
            QueryString qs = QueryString.of(ex.getRequestURI());
            return service.localAnswer(MetricsQuery.parse(qs, service.now(), service.windowStart()));
        });
        server.internalRoute(QueryService.INTERNAL_STATS, ex -> service.localStats());
    }
}
