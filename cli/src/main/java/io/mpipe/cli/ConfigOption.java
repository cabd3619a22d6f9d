package io.mpipe.cli;

import io.mpipe.common.config.ConfigReader;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.config.LoggingSettings;
import io.mpipe.common.logging.LoggingSetup;
import java.nio.file.Path;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** {@code --config FILE}, and loading a service's config from it. */
public final class ConfigOption {
    private static final Logger log = LoggerFactory.getLogger(ConfigOption.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML config file (see config.example.yaml). Without it: defaults, overridden by"
                    + " PIPELINE_* environment variables.")
    Path file;

    public ConfigSource source() {
        return file == null ? ConfigSource.empty(System.getenv()) : ConfigSource.load(file, System.getenv());
    }

    /**
     * Reads a config with {@code read}, rejects unknown keys in {@code sections}, throws on any
     * problem, then configures logging and logs the effective config with secrets masked.
     */
    public <T> T load(String service, Function<ConfigReader, T> read, Function<T, LoggingSettings> logging,
            String... sections) {
        return load(source(), service, read, logging, sections);
    }

    /** The same from {@code source}. */
    public static <T> T load(ConfigSource source, String service, Function<ConfigReader, T> read,
            Function<T, LoggingSettings> logging, String... sections) {
        ConfigReader r = source.reader();
        return announce(service, r, r.read(read, sections), logging);
    }

    /**
     * Configures logging as {@code config} says and logs its effective configuration, as read by
     * {@code r}; returns {@code config}. Local mode reads its services' configs first, then
     * announces them.
     */
    public static <T> T announce(String service, ConfigReader r, T config, Function<T, LoggingSettings> logging) {
        LoggingSetup.configure(logging.apply(config));
        log.info("{}: effective configuration{}", service, r.describeEffective());
        return config;
    }
}
