package io.mpipe.common.config;

import java.util.Objects;

/**
 * A service's HTTP listener: {@code <service>.http.host} and {@code <service>.http.port}. Binds to
 * 127.0.0.1 unless configured otherwise; port 0 picks a free port.
 */
public record HttpSettings(String host, int port) {

    public HttpSettings {
        Objects.requireNonNull(host, "host");
    }

    public static HttpSettings read(ConfigReader r, String service, int defaultPort) {
        String host = r.string(service + ".http.host", "127.0.0.1");
        int port = r.integer(service + ".http.port", defaultPort, 0, 65535);
        return new HttpSettings(host, port);
    }
}
