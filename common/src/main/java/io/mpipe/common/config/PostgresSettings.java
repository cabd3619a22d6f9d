package io.mpipe.common.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The {@code postgres} section.
 *
 * @param url            {@code postgres.url}, a JDBC URL
 * @param user           {@code postgres.user}
 * @param password       {@code postgres.password} (from the environment) or {@code postgres.password-file}
 * @param sslMode        {@code postgres.sslmode}: disable, allow, prefer, require, verify-ca, verify-full
 * @param poolSize       {@code postgres.pool-size}
 * @param connectTimeout {@code postgres.connect-timeout}
 * @param sslRootCert    {@code postgres.ssl-root-cert}: the CA (PEM) the server's certificate must chain
 *                       to, for {@code verify-ca} and {@code verify-full}
 */
public record PostgresSettings(String url, String user, Secret password, String sslMode, int poolSize,
        Duration connectTimeout, java.util.Optional<java.nio.file.Path> sslRootCert) {

    public PostgresSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(sslMode, "sslMode");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(sslRootCert, "sslRootCert");
    }

    /** The pgjdbc properties of the TLS settings. */
    public java.util.Map<String, String> sslProperties() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("sslmode", sslMode);
        sslRootCert.ifPresent(p -> m.put("sslrootcert", p.toString()));
        return m;
    }

    public static PostgresSettings of(String url, String user, String password) {
        return new PostgresSettings(url, user, Secret.of(password), "prefer", 4, Duration.ofSeconds(10),
                java.util.Optional.empty());
    }

    public static PostgresSettings read(ConfigReader r) {
        String url = r.string("postgres.url", "jdbc:postgresql://localhost:5432/metrics");
        if (!url.startsWith("jdbc:postgresql:")) {
            r.problem("postgres.url", "must start with jdbc:postgresql:");
        }
        String user = r.string("postgres.user", "metrics");
        Secret password = r.secret("postgres.password");
        String ssl = r.choice("postgres.sslmode", "prefer",
                "disable", "allow", "prefer", "require", "verify-ca", "verify-full");
        int pool = r.integer("postgres.pool-size", 4, 1, 64);
        Duration timeout = r.duration("postgres.connect-timeout", Duration.ofSeconds(10),
                Duration.ofMillis(250), Duration.ofMinutes(5));
        java.util.Optional<java.nio.file.Path> rootCert = r.optionalString("postgres.ssl-root-cert")
                .filter(v -> !v.isBlank()).map(java.nio.file.Path::of);
        rootCert.ifPresent(f -> {
            if (!java.nio.file.Files.isReadable(f)) {
                r.problem("postgres.ssl-root-cert", "cannot read " + f);
            }
        });
        if ((ssl.equals("verify-ca") || ssl.equals("verify-full")) && rootCert.isEmpty()) {
            r.problem("postgres.ssl-root-cert", "is required with postgres.sslmode " + ssl
                    + " (the CA the server's certificate must chain to)");
        }
        return new PostgresSettings(url, user, password, ssl, pool, timeout, rootCert);
    }

    public PostgresSettings withUrl(String newUrl) {
        return new PostgresSettings(newUrl, user, password, sslMode, poolSize, connectTimeout, sslRootCert);
    }

    public PostgresSettings withPoolSize(int size) {
        return new PostgresSettings(url, user, password, sslMode, size, connectTimeout, sslRootCert);
    }
}
