package io.mpipe.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * GET requests for the benchmarks' probes: a plain blocking client over kept-alive connections.
 * The JDK's {@code HttpClient} hands every request across several threads, which on two busy
 * cores adds its own milliseconds to what is measured.
 */
public final class BenchHttp {

    /** A response: status and body. */
    public record Response(int status, String body) {
    }

    private BenchHttp() {
    }

    public static Response get(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        int status = c.getResponseCode();
        InputStream stream = status < 400 ? c.getInputStream() : c.getErrorStream();
        byte[] body;
        try (InputStream in = stream) {
            body = in == null ? new byte[0] : in.readAllBytes(); // read to the end: the connection is reused
        }
        return new Response(status, new String(body, StandardCharsets.UTF_8));
    }
}
