package io.mpipe.common.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS and authentication of a service's HTTP listener, under {@code <service>.http}, in the shape
 * of Prometheus's {@code --web.config.file}: a certificate and key in PEM (read again when the files
 * change, so a certificate can be rotated without a restart), an optional CA for client
 * certificates (mTLS), and users with bcrypt password hashes (as {@code htpasswd -B} writes them)
 * and/or bearer tokens. The paths in {@code auth.open-paths} ({@code /health} and {@code /ready}
 * by default) answer without credentials, for probes.
 *
 * @param certFile        {@code tls.cert-file}: the server's certificate chain, PEM
 * @param keyFile         {@code tls.key-file}: its private key, PEM (PKCS#8, or PKCS#1 RSA, or EC)
 * @param clientCaFile    {@code tls.client-ca-file}: CA certificates a client certificate must chain
 *                        to; with it every request must present one (403 otherwise)
 * @param basicUsersFile  {@code auth.basic-users-file}: lines of {@code user:bcrypt-hash}
 * @param bearerTokensFile {@code auth.bearer-tokens-file}: one token a line
 * @param openPaths       {@code auth.open-paths}: paths answered without credentials
 * @param reloadInterval  {@code tls.reload-interval}: how often the files are checked for changes
 */
public record HttpSecurity(Optional<Path> certFile, Optional<Path> keyFile, Optional<Path> clientCaFile,
        Optional<Path> basicUsersFile, Optional<Path> bearerTokensFile, List<String> openPaths,
        Duration reloadInterval) {

    public static final List<String> DEFAULT_OPEN_PATHS = List.of("/health", "/ready");
    public static final HttpSecurity NONE = new HttpSecurity(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), DEFAULT_OPEN_PATHS, Duration.ofSeconds(10));

    public HttpSecurity {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
        Objects.requireNonNull(clientCaFile, "clientCaFile");
        Objects.requireNonNull(basicUsersFile, "basicUsersFile");
        Objects.requireNonNull(bearerTokensFile, "bearerTokensFile");
        openPaths = List.copyOf(openPaths);
        Objects.requireNonNull(reloadInterval, "reloadInterval");
    }

    public boolean tls() {
        return certFile.isPresent();
    }

    /** Whether any credential is asked for: users, tokens or client certificates. */
    public boolean authenticates() {
        return basicUsersFile.isPresent() || bearerTokensFile.isPresent() || clientCaFile.isPresent();
    }

    /** Reads {@code <service>.http.tls.*} and {@code <service>.http.auth.*}, checking the files are there. */
    public static HttpSecurity read(ConfigReader r, String service) {
        String p = service + ".http.";
        Optional<Path> cert = file(r, p + "tls.cert-file");
        Optional<Path> key = file(r, p + "tls.key-file");
        Optional<Path> clientCa = file(r, p + "tls.client-ca-file");
        if (cert.isPresent() != key.isPresent()) {
            r.problem(cert.isPresent() ? p + "tls.key-file" : p + "tls.cert-file",
                    "is required with " + (cert.isPresent() ? p + "tls.cert-file" : p + "tls.key-file"));
        }
        if (clientCa.isPresent() && cert.isEmpty()) {
            r.problem(p + "tls.client-ca-file", "needs " + p + "tls.cert-file and " + p + "tls.key-file (mTLS is TLS)");
        }
        Duration reload = r.duration(p + "tls.reload-interval", Duration.ofSeconds(10), Duration.ofSeconds(1),
                Duration.ofHours(1));
        Optional<Path> users = file(r, p + "auth.basic-users-file");
        Optional<Path> tokens = file(r, p + "auth.bearer-tokens-file");
        List<String> open = r.stringList(p + "auth.open-paths", DEFAULT_OPEN_PATHS);
        for (String path : open) {
            if (!path.startsWith("/")) {
                r.problem(p + "auth.open-paths", "'" + path + "' is not a path (it must start with /)");
            }
        }
        return new HttpSecurity(cert, key, clientCa, users, tokens, open, reload);
    }

    private static Optional<Path> file(ConfigReader r, String key) {
        Optional<String> s = r.optionalString(key).filter(v -> !v.isBlank());
        if (s.isEmpty()) {
            return Optional.empty();
        }
        Path path = Path.of(s.get());
        if (!Files.isReadable(path)) {
            r.problem(key, "cannot read " + path);
        }
        return Optional.of(path);
    }
}
