package io.mpipe.common.http;

import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.HttpSecurity;
import io.mpipe.common.config.HttpSettings;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.BindException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server every service runs: {@code /metrics} (Prometheus text format, from the registry
 * passed in), {@code /health}, and whatever JSON routes a service adds. Built on Jetty, so that no
 * client can stop it:
 * <ul>
 *   <li>requests are parsed without a thread per connection, and a connection that sends or takes
 *       nothing for {@code idle-timeout} is closed (a slow client reading or writing);</li>
 *   <li>at most {@code max-connections} connections are open at once;</li>
 *   <li>at most {@code max-concurrent-requests} requests are worked on at once, at most
 *       {@code max-queued-requests} wait for their turn (each at most {@code queue-timeout}), and
 *       one more is answered 503 with {@code Retry-After} at once; {@code /health} and
 *       {@code /ready} are outside that bound (probes always get an answer), {@code /metrics} has
 *       two of its own (a flood of queries does not take the scrape down), and the routes other
 *       instances of a service call ({@link #internalRoute}) have a bound of their own, so that
 *       two busy instances asking each other never wait on each other's queue;</li>
 *   <li>request bodies are refused beyond {@value #MAX_BODY_BYTES} bytes (a route may allow more).</li>
 * </ul>
 *
 * <p>With {@code <service>.http.tls.*} it speaks only HTTPS (the certificate and key read again
 * when their files change), and with {@code <service>.http.auth.*} or a client CA every request
 * but those to {@code auth.open-paths} must bring its credential ({@link HttpAuth}).
 */
public final class ServiceHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServiceHttpServer.class);
    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** Seconds a client is asked to wait when the server is at its bound. */
    static final int BUSY_RETRY_AFTER_SECONDS = 1;
    /** {@code /metrics} renders at once at most this many times (each renders the whole registry). */
    static final int METRICS_CONCURRENCY = 2;
    private static final String JSON_TYPE = "application/json";

    /** A JSON route: returns the body object, or throws {@link HttpError}. */
    @FunctionalInterface
    public interface JsonRoute {
        Object handle(RouteRequest request) throws IOException;
    }

    /** How a route is served: {@code bound} null for a probe, which always answers. */
    private record Route(String path, JsonRoute handler, Bound bound, int maxBodyBytes, String methods,
            boolean internal) {
    }

    /** Requests worked on at once, and those that may wait for a turn. */
    private static final class Bound {
        private final Semaphore working;
        private final AtomicInteger waiting = new AtomicInteger();
        private final int maxQueued;
        private final long queueTimeoutMs;

        Bound(int permits, int maxQueued, long queueTimeoutMs) {
            this.working = new Semaphore(permits);
            this.maxQueued = maxQueued;
            this.queueTimeoutMs = queueTimeoutMs;
        }

        /** A turn, at once or after waiting in the queue; false when the queue is full or the wait ran out. */
        boolean enter() {
            if (working.tryAcquire()) {
                return true;
            }
            if (waiting.incrementAndGet() > maxQueued) {
                waiting.decrementAndGet();
                return false;
            }
            try {
                return working.tryAcquire(queueTimeoutMs, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } finally {
                waiting.decrementAndGet();
            }
        }

        void leave() {
            working.release();
        }
    }

    private final Server server;
    private final ServerConnector connector;
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final Bound external;
    private final Bound internal;
    private final Semaphore rendering = new Semaphore(METRICS_CONCURRENCY);
    private final Counter requests;
    private final Counter rejected;
    private final String service;
    private final CollectorRegistry registry;
    private final HttpSettings settings;
    private final HttpAuth auth;
    private final SslContextFactory.Server tls;
    private final ScheduledExecutorService reloader;

    /**
     * Binds (port 0 picks a free one) and registers {@code /metrics} and {@code /health}. Routes
     * may be added before {@link #start()}.
     *
     * @throws ConfigException naming {@code <service>.http.port} when the address cannot be bound
     */
    public ServiceHttpServer(String service, HttpSettings settings, CollectorRegistry registry,
            Supplier<Health> health) throws IOException {
        this(service, settings, registry, health, Optional.empty());
    }

    /**
     * As above; {@code peerTokenFile} is the token other instances of the service must present on
     * its {@link #internalRoute internal routes}.
     */
    public ServiceHttpServer(String service, HttpSettings settings, CollectorRegistry registry,
            Supplier<Health> health, Optional<Path> peerTokenFile) throws IOException {
        this.service = service;
        this.registry = registry;
        this.settings = settings;
        HttpSecurity security = settings.security();
        this.auth = new HttpAuth(service, security, peerTokenFile);
        long queueMs = settings.queueTimeout().toMillis();
        this.external = new Bound(settings.maxRequests(), settings.maxQueued(), queueMs);
        this.internal = new Bound(settings.maxRequests(), settings.maxQueued(), queueMs);
        // threads: an acceptor, a selector, both bounds' work and queues, the probes and scrapes, the quick 503s
        QueuedThreadPool threads = new QueuedThreadPool(2 * (settings.maxRequests() + settings.maxQueued())
                + METRICS_CONCURRENCY + 12, 4, 60_000);
        threads.setName(service + "-http");
        threads.setDaemon(true);
        this.server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        http.setRequestHeaderSize(16 * 1024);
        if (security.tls()) {
            this.tls = new SslContextFactory.Server();
            tls.setSslContext(serverContext(security));
            tls.setWantClientAuth(security.clientCaFile().isPresent());
            tls.setSniRequired(false);
            http.addCustomizer(new SecureRequestCustomizer(false)); // a client may name the host any way
            this.connector = new ServerConnector(server, 1, 1, new SslConnectionFactory(tls, "http/1.1"),
                    new HttpConnectionFactory(http));
        } else {
            this.tls = null;
            this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        }
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        connector.setIdleTimeout(settings.idleTimeout().toMillis());
        connector.setAcceptQueueSize(128);
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(settings.maxConnections(), connector));
        server.setStopTimeout(1_000);
        server.setHandler(new Dispatch());
        try {
            connector.open(); // bound now: a port in use is found before anything else starts
        } catch (IOException e) {
            if (e instanceof BindException || e.getCause() instanceof BindException) {
                throw new ConfigException(bindProblem(service, settings, e));
            }
            throw e;
        }
        this.requests = Counter.build()
                .name(service + "_http_requests_total")
                .help("HTTP requests served by this service, by route and status class")
                .labelNames("route", "status")
                .register(registry);
        this.rejected = Counter.build()
                .name(service + "_http_requests_rejected_total")
                .help("Requests answered 503 because max-concurrent-requests were worked on and max-queued-requests"
                        + " waited, or their wait ran out")
                .register(registry);
        addRoute(new Route("/health", r -> {
            Health h = health.get();
            if (!h.up()) {
                throw new HealthDown(h);
            }
            return h.body();
        }, null, MAX_BODY_BYTES, "GET, HEAD", false));
        if (security.tls() || auth.enabled()) {
            this.reloader = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, service + "-http-reload");
                t.setDaemon(true);
                return t;
            });
            long every = security.reloadInterval().toMillis();
            long[] stamp = {certStamp(security)};
            reloader.scheduleWithFixedDelay(() -> {
                auth.reloadIfChanged();
                long now = certStamp(security);
                if (tls != null && now != stamp[0]) {
                    try {
                        SSLContext ctx = serverContext(security);
                        tls.reload(f -> f.setSslContext(ctx));
                        stamp[0] = now;
                        log.info("{}: read the TLS certificate and key again", service);
                    } catch (Exception e) {
                        log.warn("{}: the changed TLS certificate or key cannot be used; keeping the ones before: {}",
                                service, e.getMessage());
                    }
                }
            }, every, every, TimeUnit.MILLISECONDS);
        } else {
            this.reloader = null;
        }
    }

    private SSLContext serverContext(HttpSecurity security) {
        try {
            List<X509Certificate> clientCas = security.clientCaFile().isPresent()
                    ? TlsMaterial.certificates(security.clientCaFile().get()) : List.of();
            return TlsMaterial.serverContext(security.certFile().get(), security.keyFile().get(), clientCas);
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException(service + ".http.tls.cert-file: " + e.getMessage());
        }
    }

    /** Changes when the certificate or key file changes. */
    private static long certStamp(HttpSecurity s) {
        long h = 0;
        for (Optional<Path> f : List.of(s.certFile(), s.keyFile())) {
            if (f.isPresent()) {
                try {
                    h = 31 * h + (Files.getLastModifiedTime(f.get()).toMillis() ^ Files.size(f.get()));
                } catch (IOException e) {
                    h = 31 * h - 1;
                }
            }
        }
        return h;
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

    /** Adds a GET route answering JSON, inside the bound of concurrent requests. The path must match exactly. */
    public void route(String path, JsonRoute route) {
        addRoute(new Route(path, route, external, MAX_BODY_BYTES, "GET, HEAD", false));
    }

    /**
     * Adds a GET route that other instances of the service call, inside a bound of its own; with a
     * peer token it answers only requests that bring it.
     */
    public void internalRoute(String path, JsonRoute route) {
        addRoute(new Route(path, route, internal, MAX_BODY_BYTES, "GET, HEAD", true));
    }

    /**
     * An answer that is not JSON: its status, content type (null for none), extra headers and body
     * (empty for none). A route returns it instead of a body object.
     */
    public record Reply(int status, String contentType, Map<String, String> headers, byte[] body) {
        public Reply {
            headers = Map.copyOf(headers);
            body = body == null ? new byte[0] : body;
        }

        /** 204, nothing in the body. */
        public static Reply noContent() {
            return new Reply(204, null, Map.of(), null);
        }
    }

    /**
     * Adds a POST route taking a body of up to {@code maxBodyBytes} (413 beyond), inside the bound of
     * concurrent requests; it answers JSON, or a {@link Reply}.
     */
    public void postRoute(String path, int maxBodyBytes, JsonRoute route) {
        addRoute(new Route(path, route, external, maxBodyBytes, "POST", false));
    }

    /** Adds a GET route answering JSON that is always answered (a probe such as {@code /ready}). */
    public void probeRoute(String path, JsonRoute route) {
        addRoute(new Route(path, route, null, MAX_BODY_BYTES, "GET, HEAD", false));
    }

    private void addRoute(Route r) {
        if (routes.putIfAbsent(r.path(), r) != null || r.path().equals("/metrics")) {
            throw new IllegalArgumentException("route " + r.path() + " is taken");
        }
    }

    /** Routes every request: {@code /metrics}, the JSON routes, else a JSON 404. */
    private final class Dispatch extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = Request.getPathInContext(request);
            try {
                Route route = routes.get(path);
                HttpAuth.Refusal refusal = auth.check(path, route != null && route.internal(),
                        request.getHeaders().get(HttpHeader.AUTHORIZATION), clientCertificates(request));
                if (refusal != null) {
                    requests.labels(route != null ? path : path.equals("/metrics") ? path : "other",
                            "4xx").inc();
                    if (refusal.challenge() != null) {
                        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, refusal.challenge());
                    }
                    send(request, response, callback, refusal.status(), new ErrorBody(refusal.reason()), null);
                    return true;
                }
                if (path.equals("/metrics")) {
                    serveMetrics(request, response, callback);
                } else {
                    if (route == null) {
                        requests.labels("other", "4xx").inc();
                        send(request, response, callback, 404, new ErrorBody("no such path: " + path), null);
                    } else {
                        serveJson(route, request, response, callback);
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.warn("{}: {} failed", service, path, e);
                callback.failed(e);
            }
            return true;
        }
    }

    private void serveJson(Route route, Request request, Response response, Callback callback) throws IOException {
        String path = route.path();
        String method = request.getMethod();
        if (!route.methods().contains(method)) {
            response.getHeaders().put("Allow", route.methods());
            requests.labels(path, "4xx").inc();
            send(request, response, callback, 405, new ErrorBody("method " + method + " not allowed"), null);
            return;
        }
        if (route.bound() != null && !route.bound().enter()) {
            rejected.inc();
            requests.labels(path, "5xx").inc();
            send(request, response, callback, 503, new ErrorBody("busy: this service is answering as many requests"
                    + " as it may, and as many wait; retry shortly"), BUSY_RETRY_AFTER_SECONDS);
            return;
        }
        try {
            byte[] body;
            try {
                body = readBody(request, route.maxBodyBytes());
            } catch (HttpError e) {
                requests.labels(path, "4xx").inc();
                send(request, response, callback, e.status(), new ErrorBody(e.getMessage()), null);
                return;
            }
            Object answer;
            try {
                answer = route.handler().handle(view(request, body));
            } catch (HealthDown down) {
                requests.labels(path, "5xx").inc();
                send(request, response, callback, 503, down.health.body(), null);
                return;
            } catch (HttpError e) {
                requests.labels(path, e.status() >= 500 ? "5xx" : "4xx").inc();
                send(request, response, callback, e.status(), new ErrorBody(e.getMessage()), e.retryAfterSeconds());
                return;
            } catch (RuntimeException e) {
                log.error("{}: {} failed", service, path, e);
                requests.labels(path, "5xx").inc();
                send(request, response, callback, 500, new ErrorBody("internal error: " + e.getClass().getSimpleName()),
                        null);
                return;
            }
            if (answer instanceof Reply reply) {
                requests.labels(path, reply.status() >= 500 ? "5xx" : reply.status() >= 400 ? "4xx" : "2xx").inc();
                response.setStatus(reply.status());
                if (reply.contentType() != null) {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
                }
                reply.headers().forEach((k, v) -> response.getHeaders().put(k, v));
                write(request, response, callback, reply.body());
                return;
            }
            requests.labels(path, "2xx").inc();
            send(request, response, callback, 200, answer, null);
        } finally {
            if (route.bound() != null) {
                route.bound().leave();
            }
        }
    }

    private void serveMetrics(Request request, Response response, Callback callback) throws IOException {
        if (!rendering.tryAcquire()) {
            rejected.inc();
            requests.labels("/metrics", "5xx").inc();
            send(request, response, callback, 503, new ErrorBody("busy: /metrics is being rendered"),
                    BUSY_RETRY_AFTER_SECONDS);
            return;
        }
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
            String encoding = request.getHeaders().get(HttpHeader.ACCEPT_ENCODING);
            boolean gzip = encoding != null && encoding.toLowerCase(Locale.ROOT).contains("gzip");
            try (Writer w = new OutputStreamWriter(gzip ? new GZIPOutputStream(bytes) : bytes, StandardCharsets.UTF_8)) {
                TextFormat.write004(w, registry.metricFamilySamples());
            }
            requests.labels("/metrics", "2xx").inc();
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, TextFormat.CONTENT_TYPE_004);
            if (gzip) {
                response.getHeaders().put(HttpHeader.CONTENT_ENCODING, "gzip");
            }
            write(request, response, callback, bytes.toByteArray());
        } finally {
            rendering.release();
        }
    }

    private static X509Certificate[] clientCertificates(Request request) {
        return request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE) instanceof EndPoint.SslSessionData d
                ? d.peerCertificates() : null;
    }

    private static RouteRequest view(Request request, byte[] body) {
        Map<String, String> headers = new HashMap<>();
        for (HttpField f : request.getHeaders()) {
            headers.put(f.getName().toLowerCase(Locale.ROOT), f.getValue());
        }
        String query = request.getHttpURI().getQuery();
        URI uri = URI.create(request.getHttpURI().getPath() + (query == null ? "" : "?" + query));
        return new RouteRequest(request.getMethod(), uri, headers, body);
    }

    private static byte[] readBody(Request request, int max) throws IOException {
        long declared = request.getLength();
        if (declared > max) {
            throw new HttpError(413, "request body larger than " + max + " bytes");
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (out.size() + n > max) {
                    throw new HttpError(413, "request body larger than " + max + " bytes");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }

    private static void send(Request request, Response response, Callback callback, int status, Object body,
            Integer retryAfterSeconds) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON_TYPE);
        if (retryAfterSeconds != null) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(retryAfterSeconds));
        }
        byte[] bytes;
        try {
            bytes = Json.write(body);
        } catch (UncheckedIOException e) {
            response.setStatus(500);
            bytes = "{\"error\":\"internal error: the answer could not be written\"}".getBytes(StandardCharsets.UTF_8);
        }
        write(request, response, callback, bytes);
    }

    private static void write(Request request, Response response, Callback callback, byte[] bytes) {
        if (response.getStatus() != 204) { // a 204 carries no Content-Length (RFC 9110, 8.6)
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        }
        if ("HEAD".equals(request.getMethod())) {
            response.write(true, org.eclipse.jetty.util.BufferUtil.EMPTY_BUFFER, callback);
        } else {
            response.write(true, ByteBuffer.wrap(bytes), callback);
        }
    }

    public void start() {
        try {
            server.start();
        } catch (Exception e) {
            throw new IllegalStateException(service + ": HTTP server did not start: " + e.getMessage(), e);
        }
        log.info("{}: HTTP on http://{}:{} (/metrics, /health)", service, host(), port());
    }

    /** {@code http} or {@code https}. */
    public String scheme() {
        return settings.scheme();
    }

    public int port() {
        return connector.getLocalPort();
    }

    public String host() {
        String h = connector.getHost();
        return h == null ? "0.0.0.0" : h;
    }

    /** {@code http://host:port}. */
    public String baseUrl() {
        String h = host();
        if (h.equals("0.0.0.0")) {
            h = "127.0.0.1";
        }
        return scheme() + "://" + h + ":" + port();
    }

    @Override
    public void close() {
        if (reloader != null) {
            reloader.shutdownNow();
        }
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("{}: stopping HTTP: {}", service, e.toString());
        }
        connector.close();
    }
}
