package io.mpipe.common.config;

import java.time.Duration;
import java.util.Objects;

/**
 * A service's HTTP listener: {@code <service>.http.host} and {@code <service>.http.port}, and the
 * bounds that keep clients from stopping it. Binds to 127.0.0.1 unless configured otherwise; port
 * 0 picks a free port.
 *
 * @param maxConnections        connections held open at once; beyond it new ones wait to be accepted
 * @param maxRequests           requests worked on at once (not {@code /health} and {@code /ready},
 *                              which always answer, nor {@code /metrics}, which has its own two); by
 *                              default the machine's cores (at least 2), so that answering queries
 *                              leaves the service's own work (ingest) its share of the CPU
 * @param maxQueued             requests that wait for one of those; one more is answered 503 with
 *                              {@code Retry-After} at once, as is one that waited {@code queueTimeout}
 * @param queueTimeout          how long a request waits for its turn
 * @param idleTimeout           a connection that sends or takes nothing for this long is closed: the
 *                              bound on reading a request and on writing its answer to a slow client
 * @param security              TLS and authentication ({@code <service>.http.tls.*}, {@code .auth.*})
 */
public record HttpSettings(String host, int port, int maxConnections, int maxRequests, int maxQueued,
        Duration queueTimeout, Duration idleTimeout, HttpSecurity security) {

    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    public static final int DEFAULT_MAX_REQUESTS = Math.max(2, Runtime.getRuntime().availableProcessors());
    public static final int DEFAULT_MAX_QUEUED = 32;
    public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

    public HttpSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(queueTimeout, "queueTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(security, "security");
    }

    /** The same listener with other TLS and authentication. */
    public HttpSettings withSecurity(HttpSecurity s) {
        return new HttpSettings(host, port, maxConnections, maxRequests, maxQueued, queueTimeout, idleTimeout, s);
    }

    /** {@code https} when TLS is on, else {@code http}. */
    public String scheme() {
        return security.tls() ? "https" : "http";
    }

    /** A listener with the default bounds. */
    public HttpSettings(String host, int port) {
        this(host, port, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_REQUESTS, DEFAULT_MAX_QUEUED, DEFAULT_QUEUE_TIMEOUT,
                DEFAULT_IDLE_TIMEOUT, HttpSecurity.NONE);
    }

    public static HttpSettings read(ConfigReader r, String service, int defaultPort) {
        String host = r.string(service + ".http.host", "127.0.0.1");
        int port = r.integer(service + ".http.port", defaultPort, 0, 65535);
        int connections = r.integer(service + ".http.max-connections", DEFAULT_MAX_CONNECTIONS, 1, 100_000);
        int requests = r.integer(service + ".http.max-concurrent-requests", DEFAULT_MAX_REQUESTS, 1, 1_000);
        int queued = r.integer(service + ".http.max-queued-requests", DEFAULT_MAX_QUEUED, 0, 10_000);
        Duration queueTimeout = r.duration(service + ".http.queue-timeout", DEFAULT_QUEUE_TIMEOUT, Duration.ZERO,
                Duration.ofMinutes(1));
        Duration idle = r.duration(service + ".http.idle-timeout", DEFAULT_IDLE_TIMEOUT, Duration.ofSeconds(1),
                Duration.ofHours(1));
        return new HttpSettings(host, port, connections, requests, queued, queueTimeout, idle,
                HttpSecurity.read(r, service));
    }
}
