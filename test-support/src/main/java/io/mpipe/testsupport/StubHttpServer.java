package io.mpipe.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A real HTTP server on 127.0.0.1 that answers what a test tells it to, per path and query: a
 * body with a status, headers and an optional delay. Answers can be queued (first a 429, then the
 * body) or standing. Records every request it gets. Stands in for outside HTTP services, such as
 * the Hedera mirror node, with their real response bodies.
 */
public final class StubHttpServer implements AutoCloseable {

    /** One answer. */
    public record Response(int status, String body, Map<String, String> headers, Duration delay) {
        public static Response ok(String body) {
            return new Response(200, body, Map.of("Content-Type", "application/json"), Duration.ZERO);
        }

        public static Response status(int status, String body) {
            return new Response(status, body, Map.of("Content-Type", "application/json"), Duration.ZERO);
        }

        public Response withHeader(String name, String value) {
            Map<String, String> h = new HashMap<>(headers);
            h.put(name, value);
            return new Response(status, body, h, delay);
        }

        public Response withDelay(Duration d) {
            return new Response(status, body, headers, d);
        }
    }

    private final HttpServer server;
    private final Map<String, Deque<Response>> queued = new HashMap<>();
    private final Map<String, Response> standing = new HashMap<>();
    private final List<String> requests = Collections.synchronizedList(new ArrayList<>());

    public StubHttpServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 32);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "stub-http");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    /** {@code http://127.0.0.1:port} */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Answers {@code pathAndQuery} (exactly, e.g. {@code /api/v1/network/supply}) with {@code r} every time. */
    public synchronized StubHttpServer always(String pathAndQuery, Response r) {
        standing.put(pathAndQuery, r);
        return this;
    }

    /** Answers the next request for {@code pathAndQuery} with {@code r}, before any standing answer. */
    public synchronized StubHttpServer next(String pathAndQuery, Response r) {
        queued.computeIfAbsent(pathAndQuery, k -> new ArrayDeque<>()).add(r);
        return this;
    }

    /** Reads a file as the body of a 200 answer. */
    public static Response file(Path p) {
        try {
            return Response.ok(Files.readString(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every request received, as path and query, in order. */
    public List<String> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    public long count(String pathAndQuery) {
        return requests().stream().filter(pathAndQuery::equals).count();
    }

    private void handle(HttpExchange ex) throws IOException {
        String key = ex.getRequestURI().getRawPath()
                + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
        requests.add(key);
        Response r;
        synchronized (this) {
            Deque<Response> q = queued.get(key);
            r = q != null && !q.isEmpty() ? q.poll() : standing.get(key);
        }
        if (r == null) {
            r = Response.status(404, "{\"_status\":{\"messages\":[{\"message\":\"Not found\"}]}}");
        }
        try {
            if (!r.delay().isZero()) {
                Thread.sleep(r.delay().toMillis());
            }
            byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
            r.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            ex.sendResponseHeaders(r.status(), body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client gave up (a timeout test)
        } finally {
            ex.close();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
