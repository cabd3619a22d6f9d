package io.mpipe.common.http;

import java.net.URI;
import java.util.Map;
import java.util.Objects;

/**
 * What a route sees of a request: its method, its URI (path and raw query), its headers (names in
 * lower case) and its body, read in full and bounded by the route.
 */
public final class RouteRequest {
    private final String method;
    private final URI uri;
    private final Map<String, String> headers;
    private final byte[] body;

    public RouteRequest(String method, URI uri, Map<String, String> headers, byte[] body) {
        this.method = Objects.requireNonNull(method, "method");
        this.uri = Objects.requireNonNull(uri, "uri");
        this.headers = Map.copyOf(headers);
        this.body = body == null ? new byte[0] : body;
    }

    public String getRequestMethod() {
        return method;
    }

    /** The path and the raw (still percent-encoded) query. */
    public URI getRequestURI() {
        return uri;
    }

    /** A header's value (the last one when repeated), or null; {@code name} in any case. */
    public String header(String name) {
        return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }

    public byte[] body() {
        return body;
    }
}
