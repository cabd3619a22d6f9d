package io.mpipe.exporter;

import io.mpipe.common.config.ConfigReader;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.config.HttpSecurity;
import io.mpipe.common.config.HttpSettings;
import io.mpipe.common.config.KafkaSettings;
import io.mpipe.common.config.LoggingSettings;
import io.mpipe.common.config.PostgresSettings;
import io.mpipe.exporter.lag.LagSettings;
import io.mpipe.exporter.store.StoreSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the exporter is configured with: {@code exporter.*}, {@code lag.*} (the lag monitor)
 * plus the shared {@code kafka}, {@code postgres} (for the history tier) and {@code logging} sections.
 *
 * @param history       the PostgreSQL the history tier reads, when {@code exporter.history.enabled}
 * @param advertisedUrl {@code exporter.advertised-url}: how other instances reach this one
 *                      ({@code application.server}); empty means http://host:port of the listener
 * @param queryMaxSeries {@code exporter.query.max-series}: the most series one query may match
 * @param remoteReadMaxSamples {@code exporter.remote-read.max-samples}: the most samples one remote read request
 *                      may be answered with
 * @param maxFuture     {@code exporter.max-future}: a sample further ahead of the clock is not stored
 * @param peerTokenFile {@code exporter.peer-token-file}: the token instances show each other
 * @param peerCaFile    {@code exporter.peer-ca-file}: what a peer's certificate must chain to
 */
public record ExporterConfig(
        KafkaSettings kafka,
        LoggingSettings logging,
        HttpSettings http,
        String applicationId,
        Path stateDir,
        StoreSettings store,
        Duration expiryInterval,
        boolean rebuildOnStart,
        int streamThreads,
        Optional<PostgresSettings> history,
        Optional<String> advertisedUrl,
        Duration forwardTimeout,
        int queryMaxSeries,
        int remoteReadMaxSamples,
        Duration maxFuture,
        Optional<Path> peerTokenFile,
        Optional<Path> peerCaFile,
        LagSettings lag) {

    public static final String[] SECTIONS = {"kafka", "postgres", "logging", "exporter", "lag"};
    public static final int DEFAULT_PORT = 9400;

    public ExporterConfig {
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(history, "history");
        Objects.requireNonNull(advertisedUrl, "advertisedUrl");
    }

    public static ExporterConfig load(ConfigSource source) {
        return source.reader().read(ExporterConfig::read, SECTIONS);
    }

    private static Optional<Path> readableFile(ConfigReader r, String key) {
        Optional<Path> p = r.optionalString(key).filter(s -> !s.isBlank()).map(Path::of);
        p.ifPresent(f -> {
            if (!java.nio.file.Files.isReadable(f)) {
                r.problem(key, "cannot read " + f);
            }
        });
        return p;
    }

    public static ExporterConfig read(ConfigReader r) {
        KafkaSettings kafka = KafkaSettings.read(r);
        LoggingSettings logging = LoggingSettings.read(r);
        HttpSettings http = HttpSettings.read(r, "exporter", DEFAULT_PORT);
        String appId = r.string("exporter.application-id", "metrics-exporter");
        if (!appId.matches("[a-zA-Z0-9._-]{1,200}")) {
            r.problem("exporter.application-id", "'" + appId + "' must be letters, digits, '.', '_', '-'");
        }
        Path stateDir = Path.of(r.string("exporter.state-dir",
                Path.of(System.getProperty("java.io.tmpdir"), "mpipe-exporter").toString()));
        Duration window = r.duration("exporter.window", Duration.ofMinutes(15), Duration.ofSeconds(10),
                Duration.ofDays(7));
        int maxSeries = r.integer("exporter.max-series", 100_000, 1, 50_000_000);
        int cap = r.integer("exporter.max-samples-per-series", 300, 1, 1_000_000);
        Duration stale = r.duration("exporter.stale-after", Duration.ofMinutes(5), Duration.ofSeconds(1),
                Duration.ofDays(7));
        Duration expiry = r.duration("exporter.expiry-interval", Duration.ofSeconds(30), Duration.ofMillis(100),
                Duration.ofHours(1));
        boolean rebuild = r.bool("exporter.rebuild-on-start", true);
        int threads = r.integer("exporter.stream-threads", 1, 1, 64);
        boolean historyEnabled = r.bool("exporter.history.enabled", false);
        PostgresSettings pg = PostgresSettings.read(r);
        Optional<PostgresSettings> history = historyEnabled ? Optional.of(pg) : Optional.empty();
        Optional<String> advertised = r.optionalString("exporter.advertised-url");
        advertised.ifPresent(u -> {
            if (!u.matches(http.scheme() + "://[^/\\s:]+:\\d+/?")) {
                r.problem("exporter.advertised-url", "'" + u + "' must be " + http.scheme() + "://host:port"
                        + (http.security().tls() ? " (exporter.http.tls is on)" : ""));
            }
        });
        Duration forward = r.duration("exporter.forward-timeout", Duration.ofSeconds(5), Duration.ofMillis(100),
                Duration.ofMinutes(5));
        int queryMaxSeries = r.integer("exporter.query.max-series", 1_000, 1, 1_000_000);
        int remoteReadMaxSamples = r.integer("exporter.remote-read.max-samples", 1_000_000, 1, 100_000_000);
        Duration maxFuture = r.duration("exporter.max-future", Duration.ofHours(1), Duration.ofSeconds(1),
                Duration.ofDays(366));
        Optional<Path> peerToken = readableFile(r, "exporter.peer-token-file");
        Optional<Path> peerCa = readableFile(r, "exporter.peer-ca-file");
        HttpSecurity sec = http.security();
        if (peerToken.isEmpty() && (sec.basicUsersFile().isPresent() || sec.bearerTokensFile().isPresent())) {
            r.problem("exporter.peer-token-file", "is required with exporter.http.auth: instances ask each other"
                    + " for their part of an answer, and those routes take only the peer token");
        }
        LagSettings lag = LagSettings.read(r);
        return new ExporterConfig(kafka, logging, http, appId, stateDir, new StoreSettings(window, maxSeries, cap, stale),
                expiry, rebuild, threads, history, advertised, forward, queryMaxSeries, remoteReadMaxSamples, maxFuture,
                peerToken, peerCa,
                lag);
    }
}
