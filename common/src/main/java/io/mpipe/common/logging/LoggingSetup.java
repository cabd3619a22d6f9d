package io.mpipe.common.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.Layout;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import io.mpipe.common.config.LoggingSettings;
import org.slf4j.LoggerFactory;

/**
 * Configures Logback from {@link LoggingSettings}: readable lines or JSON lines on standard error,
 * secrets masked either way. Third-party loggers (Kafka, Flyway, Hikari) are held at WARN so the
 * project's own lines stay readable; {@code logging.level} applies to {@code io.mpipe}.
 */
public final class LoggingSetup {
    public static final String TEXT_PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{24} - %msg%n";

    private LoggingSetup() {
    }

    public static void configure(LoggingSettings settings) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return;
        }
        ctx.reset();
        Layout<ILoggingEvent> layout;
        if ("json".equals(settings.format())) {
            JsonLineLayout json = new JsonLineLayout();
            json.setContext(ctx);
            json.start();
            layout = json;
        } else {
            MaskingPatternLayout text = new MaskingPatternLayout();
            text.setContext(ctx);
            text.setPattern(TEXT_PATTERN);
            text.start();
            layout = text;
        }
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(ctx);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(ctx);
        console.setName("console");
        console.setTarget("System.err");
        console.setEncoder(encoder);
        console.start();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(console);
        ctx.getLogger("io.mpipe").setLevel(Level.toLevel(settings.level(), Level.INFO));
    }
}
