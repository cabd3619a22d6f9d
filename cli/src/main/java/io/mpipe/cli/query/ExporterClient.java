package io.mpipe.cli.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.common.config.ConfigException;
import io.mpipe.common.http.TlsMaterial;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * The exporter's query API as the command line asks it: any instance answers for the whole
 * pipeline, memory and history. Credentials as the service asks for them (basic auth, a bearer
 * token, a CA for its TLS).
 */
public final class ExporterClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One sample of an answer. */
    public record Sample(String name, Map<String, String> labels, long timestamp, double value) {
    }

    private final URI base;
    private final HttpClient http;
    private final Optional<String> authorization;
    private boolean warnedPartial;

    /**
     * @param base      {@code http://host:port} of any exporter instance
     * @param user      basic-auth user, or empty; its password is {@code password}
     * @param tokenFile a bearer token's file, or empty
     * @param caFile    the CA the exporter's certificate chains to (https), or empty for the JDK's own
     */
    public ExporterClient(URI base, Optional<String> user, String password, Optional<Path> tokenFile,
            Optional<Path> caFile) {
        this.base = base;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (caFile.isPresent()) {
            try {
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, new TrustManager[] {TlsMaterial.trustManager(caFile.get())}, null);
                b.sslContext(ctx);
            } catch (IOException | GeneralSecurityException e) {
                throw new ConfigException("--ca-file: " + e.getMessage());
            }
        }
        this.http = b.build();
        if (tokenFile.isPresent()) {
            try {
                authorization = Optional.of("Bearer " + Files.readString(tokenFile.get()).strip());
            } catch (IOException e) {
                throw new ConfigException("--token-file: cannot read " + tokenFile.get() + ": " + e.getMessage());
            }
        } else {
            authorization = user.map(u -> "Basic " + Base64.getEncoder().encodeToString(
                    (u + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** The samples of {@code name} (and {@code labels}) in [from, to], newest first, at most {@code limit}. */
    public List<Sample> samples(Optional<String> name, Map<String, String> labels, long from, long to, int limit)
            throws IOException, InterruptedException {
        StringBuilder q = new StringBuilder("/api/v1/metrics?from=").append(from).append("&to=").append(to)
                .append("&limit=").append(limit);
        name.ifPresent(n -> q.append("&name=").append(enc(n)));
        labels.forEach((k, v) -> q.append("&label=").append(enc(k + "=" + v)));
        JsonNode answer = get(q.toString());
        if (answer.path("partial").asBoolean(false) && !warnedPartial) {
            warnedPartial = true;
            System.err.println("warning: exporter instance(s) " + answer.path("unreachable") + " could not be asked;"
                    + " the series of partitions " + answer.path("missing_partitions") + " come from PostgreSQL only"
                    + " and may lack their newest samples");
        }
        List<Sample> out = new ArrayList<>();
        for (JsonNode m : answer.path("metrics")) {
            Map<String, String> l = new LinkedHashMap<>();
            m.path("labels").fields().forEachRemaining(e -> l.put(e.getKey(), e.getValue().asText()));
            JsonNode v = m.path("value");
            double value = v.isNumber() ? v.asDouble() : switch (v.asText()) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                default -> Double.NaN;
            };
            out.add(new Sample(m.path("name").asText(), l, m.path("timestamp").asLong(), value));
        }
        return out;
    }

    private JsonNode get(String pathAndQuery) throws IOException, InterruptedException {
        HttpRequest.Builder r = HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(Duration.ofSeconds(30));
        authorization.ifPresent(a -> r.header("Authorization", a));
        HttpResponse<String> resp;
        try {
            resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new ExporterDown("no exporter answers at " + base + " (--exporter): " + e.getClass().getSimpleName());
        }
        if (resp.statusCode() == 401 || resp.statusCode() == 403) {
            throw new ExporterDown("the exporter at " + base + " refused the credentials (--user with"
                    + " PIPELINE_HTTP_PASSWORD, or --token-file): " + error(resp.body()));
        }
        if (resp.statusCode() == 400) {
            throw new ConfigException(error(resp.body()));
        }
        if (resp.statusCode() != 200) {
            throw new ExporterDown("the exporter at " + base + " answered " + resp.statusCode() + ": "
                    + error(resp.body()));
        }
        return JSON.readTree(resp.body());
    }

    private static String error(String body) {
        try {
            return JSON.readTree(body).path("error").asText(body);
        } catch (IOException e) {
            return body;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** The exporter could not be asked, or would not answer. */
    public static final class ExporterDown extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ExporterDown(String message) {
            super(message);
        }
    }
}
