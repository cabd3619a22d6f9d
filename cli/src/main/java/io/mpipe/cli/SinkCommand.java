package io.mpipe.cli;

import io.mpipe.common.http.SelfMetrics;
import io.mpipe.sink.SinkApp;
import io.mpipe.sink.SinkConfig;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sink", mixinStandardHelpOptions = true,
        description = {"Consume the metrics topic into PostgreSQL with binary COPY batches, exactly once.",
            "Runs until SIGTERM or Ctrl-C, then flushes the current batch, commits and exits 0."})
final class SinkCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--group", paramLabel = "NAME",
            description = "Consumer group (default: sink.group, metrics-sink). A new group is a new, independent copy.")
    String group;

    @Option(names = "--from", paramLabel = "TIMESTAMP", converter = InstantConverter.class,
            description = "For partitions with no stored offsets in this group: start at the first record at or"
                    + " after this instant (ISO-8601, e.g. 2026-11-01T00:00:00Z) instead of the beginning.")
    Instant from;

    /** An ISO-8601 instant, or a clear word on what is wanted. */
    static final class InstantConverter implements CommandLine.ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            try {
                return Instant.parse(value);
            } catch (DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not an ISO-8601 instant with its"
                        + " zone, e.g. 2026-11-01T00:00:00Z");
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        SinkConfig c = config.load("sink", SinkConfig::read, SinkConfig::logging, SinkConfig.SECTIONS);
        if (group != null) {
            c = c.withGroup(group);
        }
        if (from != null) {
            c = c.withStartFrom(Optional.of(from));
        }
        SinkApp app = SinkApp.start(c, SelfMetrics.newRegistryWithJvmMetrics());
        Thread hook = new Thread(app::close, "sink-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Signals.onStop(app::close);
        app.awaitTermination();
        if (app.loop().failure().isPresent()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
                app.close();
            } catch (IllegalStateException shuttingDown) {
                // the hook is running
            }
            System.err.println("sink failed: " + app.loop().failure().get());
            return Pipeline.RUNTIME_FAILURE;
        }
        return Pipeline.OK;
    }
}
