package io.mpipe.exporter.query;

import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.HttpSecurity;
import io.mpipe.common.http.HttpError;
import io.mpipe.common.http.TlsMaterial;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.apache.kafka.streams.state.HostInfo;

/**
 * How one exporter instance asks another for its part of an answer: over https when the instances
 * speak TLS (trusting {@code exporter.peer-ca-file}, or the instance's own certificate file, and
 * presenting its own certificate when the peer asks for one), with the peer token as a bearer
 * credential, and an answer at most {@value #MAX_ANSWER_BYTES} bytes (a query answers at most 10,000
 * samples, a few MB).
 */
final class PeerClient {
    static final int MAX_ANSWER_BYTES = 32 * 1024 * 1024;

    private final HttpClient http;
    private final String scheme;
    private final Optional<Path> tokenFile;
    private final Duration timeout;
    /** How long a peer that could not be reached is answered for by the history tier without asking it. */
    static final Duration UNREACHABLE_FOR = Duration.ofSeconds(5);
    private final Map<HostInfo, Long> unreachableUntil = new ConcurrentHashMap<>();

    PeerClient(HttpSecurity security, Optional<Path> peerCaFile, Optional<Path> tokenFile, Duration timeout) {
        this.tokenFile = tokenFile;
        this.timeout = timeout;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout);
        if (security.tls()) {
            try {
                SSLContext ctx = TlsMaterial.clientContext(peerCaFile.orElse(security.certFile().get()),
                        security.certFile().get(), security.keyFile().get());
                b.sslContext(ctx);
            } catch (IOException | GeneralSecurityException e) {
                throw new ConfigException("exporter.peer-ca-file: " + e.getMessage());
            }
            scheme = "https";
        } else {
            scheme = "http";
        }
        this.http = b.build();
    }

    /**
     * What {@code host} answers to {@code pathAndQuery}, as bytes. A host that could not be reached
     * is not asked again for {@link #UNREACHABLE_FOR}: while one is cut off, each query would
     * otherwise wait the whole timeout for it.
     */
    byte[] get(HostInfo host, String pathAndQuery) throws IOException, InterruptedException {
        Long until = unreachableUntil.get(host);
        if (until != null && System.nanoTime() - until < 0) {
            throw new IOException("unreachable within the last " + UNREACHABLE_FOR.toSeconds() + " s; not asked again yet");
        }
        URI uri = URI.create(scheme + "://" + host.host() + ":" + host.port() + pathAndQuery);
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(timeout).GET();
        token().ifPresent(t -> req.header("Authorization", "Bearer " + t));
        HttpResponse<InputStream> r;
        try {
            r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            unreachableUntil.put(host, System.nanoTime() + UNREACHABLE_FOR.toNanos());
            throw e;
        }
        unreachableUntil.remove(host);
        byte[] body = bounded(r.body());
        String who = "instance " + host.host() + ":" + host.port();
        if (r.statusCode() == 503) {
            throw HttpError.unavailable(who + " is not ready", 2);
        }
        if (r.statusCode() == 400) {
            // the same bound there as here: its reason is the answer
            throw HttpError.badRequest(reason(body));
        }
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            throw new HttpError(502, who + " refused this instance's credentials (exporter.peer-token-file must be"
                    + " the same on every instance): " + reason(body));
        }
        if (r.statusCode() != 200) {
            throw new HttpError(502, who + " answered " + r.statusCode());
        }
        return body;
    }

    private static String reason(byte[] body) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).path("error").asText("no reason");
        } catch (IOException e) {
            return "no reason";
        }
    }

    private Optional<String> token() throws IOException {
        if (tokenFile.isEmpty()) {
            return Optional.empty();
        }
        for (String line : Files.readAllLines(tokenFile.get(), StandardCharsets.UTF_8)) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#")) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    private static byte[] bounded(InputStream in) throws IOException {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (out.size() + n > MAX_ANSWER_BYTES) {
                    throw new HttpError(502, "another instance's answer is larger than " + MAX_ANSWER_BYTES + " bytes");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }
}
