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
 */
public record PostgresSettings(String url, String user, Secret password, String sslMode, int poolSize,
        Duration connectTimeout) {

    public PostgresSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(sslMode, "sslMode");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
    }

    public static PostgresSettings of(String url, String user, String password) {
        return new PostgresSettings(url, user, Secret.of(password), "prefer", 4, Duration.ofSeconds(10));
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
        return new PostgresSettings(url, user, password, ssl, pool, timeout);
    }

    public PostgresSettings withUrl(String newUrl) {
        return new PostgresSettings(newUrl, user, password, sslMode, poolSize, connectTimeout);
    }

    public PostgresSettings withPoolSize(int size) {
        return new PostgresSettings(url, user, password, sslMode, size, connectTimeout);
    }
}
