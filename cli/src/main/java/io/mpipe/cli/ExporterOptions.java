package io.mpipe.cli;

import io.mpipe.cli.query.ExporterClient;
import io.mpipe.common.config.ConfigException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** How a command reaches an exporter's query API: its URL and the credentials it asks for. */
final class ExporterOptions {
    @Option(names = "--exporter", paramLabel = "URL", defaultValue = "http://127.0.0.1:9400",
            description = "Any exporter instance (default: ${DEFAULT-VALUE}); it answers for them all, history included.")
    String exporter;

    @Option(names = "--user", paramLabel = "USER",
            description = "Basic-auth user; the password is read from the environment variable PIPELINE_HTTP_PASSWORD.")
    String user;

    @Option(names = "--token-file", paramLabel = "FILE", description = "A bearer token's file, instead of --user.")
    Path tokenFile;

    @Option(names = "--ca-file", paramLabel = "FILE",
            description = "The CA (PEM) the exporter's certificate chains to, for https.")
    Path caFile;

    ExporterClient client() {
        URI base;
        try {
            base = URI.create(exporter.endsWith("/") ? exporter : exporter + "/");
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--exporter: '" + exporter + "' is not a URL");
        }
        if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
            throw new ConfigException("--exporter: '" + exporter + "' must be http://host:port or https://host:port");
        }
        String password = System.getenv().getOrDefault("PIPELINE_HTTP_PASSWORD", "");
        if (user != null && password.isEmpty()) {
            throw new ConfigException("--user: set the password in the environment variable PIPELINE_HTTP_PASSWORD");
        }
        return new ExporterClient(base, Optional.ofNullable(user), password, Optional.ofNullable(tokenFile),
                Optional.ofNullable(caFile));
    }
}
