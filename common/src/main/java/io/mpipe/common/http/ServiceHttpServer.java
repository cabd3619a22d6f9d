package io.mpipe.common.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.HttpSettings;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.exporter.HTTPServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The small HTTP server every service runs: {@code /metrics} (Prometheus text format, from the
 * registry passed in), {@code /health}, and whatever JSON routes a service adds. Built on the
 * JDK's HTTP server; request bodies are refused beyond {@value #MAX_BODY_BYTES} bytes.
 */
public final class ServiceHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServiceHttpServer.class);
    public static final int MAX_BODY_BYTES = 64 * 1024;

    static {
        // headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the
        // client's delayed ACK hold every answer back by about 40 ms
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    /** A JSON route: returns the body object, or throws {@link HttpError}. */
    @FunctionalInterface
    public interface JsonRoute {
        Object handle(HttpExchange exchange) throws IOException;
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Counter requests;
    private final String service;

    /**
     * Binds (port 0 picks a free one) and registers {@code /metrics} and {@code /health}. Routes
     * may be added before {@link #start()}.
     */
    public ServiceHttpServer(String service, HttpSettings settings, CollectorRegistry registry,
            Supplier<Health> health) throws IOException {
        this.service = service;
        try {
            this.server = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 64);
        } catch (BindException e) {
            throw new ConfigException(bindProblem(service, settings, e));
        }
        // eight workers: a pool that only grows once its queue is full would stay at its core size,
        // and an exporter forwarding to another that forwards back would wait on itself
        ThreadPoolExecutor pool = new ThreadPoolExecutor(8, 8, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(256),
                r -> {
                    Thread t = new Thread(r, service + "-http");
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        pool.allowCoreThreadTimeOut(true);
        this.executor = pool;
        this.server.setExecutor(executor);
        this.requests = Counter.build()
                .name(service + "_http_requests_total")
                .help("HTTP requests served by this service, by route and status class")
                .labelNames("route", "status")
                .register(registry);
        HttpHandler metrics = new HTTPServer.HTTPMetricHandler(registry);
        server.createContext("/metrics", exchange -> {
            if (!exchange.getRequestURI().getPath().equals("/metrics")) {
                requests.labels("/metrics", "4xx").inc();
                sendJson(exchange, 404, new ErrorBody("no such path: " + exchange.getRequestURI().getPath()), null);
                return;
            }
            try {
                requests.labels("/metrics", "2xx").inc();
                metrics.handle(exchange);
            } catch (IOException | RuntimeException e) {
                requests.labels("/metrics", "5xx").inc();
                log.warn("{}: /metrics failed", service, e);
                throw e;
            }
        });
        // anything no route matches: a JSON 404, as from the routes, not the server's HTML page
        server.createContext("/", exchange -> {
            try (exchange) {
                requests.labels("other", "4xx").inc();
                sendJson(exchange, 404, new ErrorBody("no such path: " + exchange.getRequestURI().getPath()), null);
            }
        });
        route("/health", exchange -> {
            Health h = health.get();
            if (!h.up()) {
                throw new HealthDown(h);
            }
            return h.body();
        });
    }

    /** What to tell a user whose {@code <service>.http} address cannot be bound. */
    public static String bindProblem(String service, HttpSettings settings, IOException e) {
        return service + ".http.port: " + settings.host() + ":" + settings.port() + " is in use or cannot be bound ("
                + e.getMessage() + "; see also " + service + ".http.host); choose another port, or 0 for a free one";
    }

    /** Error bodies are {@code {"error": "..."}}. */
    public record ErrorBody(String error) {
    }

    private static final class HealthDown extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Health health;

        HealthDown(Health health) {
            super("down", null, false, false);
            this.health = health;
        }
    }

    /** Adds a GET route answering JSON. The path must match exactly. */
    public void route(String path, JsonRoute route) {
        server.createContext(path, exchange -> {
            try (exchange) {
                try {
                    drainBody(exchange);
                } catch (HttpError e) {
                    requests.labels(path, "4xx").inc();
                    sendJson(exchange, e.status(), new ErrorBody(e.getMessage()), null);
                    return;
                }
                if (!exchange.getRequestURI().getPath().equals(path)) {
                    requests.labels(path, "4xx").inc();
                    sendJson(exchange, 404, new ErrorBody("no such path: " + exchange.getRequestURI().getPath()), null);
                    return;
                }
                if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                    exchange.getResponseHeaders().add("Allow", "GET, HEAD");
                    requests.labels(path, "4xx").inc();
                    sendJson(exchange, 405, new ErrorBody("method " + exchange.getRequestMethod() + " not allowed"), null);
                    return;
                }
                Object body;
                try {
                    body = route.handle(exchange);
                } catch (HealthDown down) {
                    requests.labels(path, "5xx").inc();
                    sendJson(exchange, 503, down.health.body(), null);
                    return;
                } catch (HttpError e) {
                    requests.labels(path, e.status() >= 500 ? "5xx" : "4xx").inc();
                    sendJson(exchange, e.status(), new ErrorBody(e.getMessage()), e.retryAfterSeconds());
                    return;
                } catch (RuntimeException e) {
                    log.error("{}: {} failed", service, path, e);
                    requests.labels(path, "5xx").inc();
                    sendJson(exchange, 500, new ErrorBody("internal error: " + e.getClass().getSimpleName()), null);
                    return;
                }
                requests.labels(path, "2xx").inc();
                sendJson(exchange, 200, body, null);
            }
        });
    }

    /** Adds a route with full control of the response (for plain-text endpoints). */
    public void rawRoute(String path, HttpHandler handler) {
        server.createContext(path, handler);
    }

    private static void drainBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] buf = new byte[4096];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > MAX_BODY_BYTES) {
                    throw new HttpError(413, "request body larger than " + MAX_BODY_BYTES + " bytes");
                }
            }
        }
    }

    /** Writes {@code body} as JSON with {@code status}. */
    public static void sendJson(HttpExchange exchange, int status, Object body, Integer retryAfterSeconds)
            throws IOException {
        byte[] bytes = Json.write(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (retryAfterSeconds != null) {
            exchange.getResponseHeaders().set("Retry-After", Integer.toString(retryAfterSeconds));
        }
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** Writes plain text. */
    public static void sendText(HttpExchange exchange, int status, String contentType, String text)
            throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    public void start() {
        server.start();
        log.info("{}: HTTP on http://{}:{} (/metrics, /health)", service, host(), port());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String host() {
        return server.getAddress().getHostString();
    }

    /** {@code http://host:port}. */
    public String baseUrl() {
        String h = host();
        if (h.equals("0.0.0.0")) {
            h = "127.0.0.1";
        }
        return "http://" + h + ":" + port();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
