package io.mpipe.common.config;

import java.util.Objects;

/**
 * The {@code logging} section.
 *
 * @param format {@code logging.format}: {@code text} (readable lines) or {@code json} (one JSON object a line)
 * @param level  {@code logging.level}: the level of the project's own loggers
 */
public record LoggingSettings(String format, String level) {
    public static final LoggingSettings DEFAULT = new LoggingSettings("text", "info");

    public LoggingSettings {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(level, "level");
    }

    public static LoggingSettings read(ConfigReader r) {
        String format = r.choice("logging.format", "text", "text", "json");
        String level = r.choice("logging.level", "info", "error", "warn", "info", "debug", "trace");
        return new LoggingSettings(format, level);
    }
}
