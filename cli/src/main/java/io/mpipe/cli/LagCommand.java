package io.mpipe.cli;

import io.mpipe.common.config.ConfigReader;
import io.mpipe.common.config.KafkaSettings;
import io.mpipe.common.config.LoggingSettings;
import io.mpipe.common.http.Json;
import io.mpipe.common.wire.Topics;
import io.mpipe.exporter.lag.LagMonitor;
import io.mpipe.exporter.lag.LagService;
import io.mpipe.exporter.lag.LagSettings;
import io.mpipe.exporter.lag.LagSnapshot;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "lag", mixinStandardHelpOptions = true,
        description = {"Consumer lag of every group (or the ones named): committed offset, log-end offset, lag in"
            + " records, and lag in seconds measured from the timestamp of the next record to read.",
            "Groups with no active member are listed with their state."})
final class LagCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--group", paramLabel = "G", description = "Only this group (repeatable).")
    List<String> groups = List.of();

    @Option(names = "--watch", paramLabel = "SECONDS", arity = "0..1", fallbackValue = "0",
            description = "Refresh every SECONDS (default: lag.interval, 10 s) until Ctrl-C.")
    Double watch;

    @Option(names = "--format", paramLabel = "F", defaultValue = "table", description = "table or json (default: table).")
    String format;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    record Settings(KafkaSettings kafka, LagSettings lag) {
    }

    @Override
    public Integer call() throws Exception {
        if (!format.equals("table") && !format.equals("json")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--format: '" + format + "' is not table or json");
        }
        Settings s = config.load("lag", (ConfigReader r) -> new Settings(KafkaSettings.read(r), LagSettings.read(r)),
                x -> new LoggingSettings("text", "warn"), "kafka", "lag");
        LagSettings lag = groups.isEmpty() ? s.lag() : s.lag().withGroups(groups);
        var base = s.kafka().clientProperties();
        long intervalMs = watch == null || watch <= 0 ? lag.interval().toMillis() : (long) (watch * 1000);
        boolean terminal = System.console() != null;
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Admin admin = Admin.create(base);
        try {
            Topics.checkAccess(admin, s.kafka(), Duration.ofSeconds(30)); // refused credentials: said at once
        } catch (RuntimeException e) {
            admin.close(Duration.ofSeconds(5));
            throw e;
        }
        try (LagMonitor monitor = new LagMonitor(admin, () -> new KafkaConsumer<>(
                LagService.probeProperties(base), new ByteArrayDeserializer(), new ByteArrayDeserializer()), lag,
                Clock.systemUTC())) {
            List<String> missing;
            do {
                LagSnapshot snap = monitor.poll();
                if (watch != null && terminal && format.equals("table")) {
                    out.print("\033[H\033[2J");
                }
                out.print(format.equals("json") ? new String(Json.write(snap), StandardCharsets.UTF_8) + "\n"
                        : table(snap));
                missing = missing(groups, snap);
                if (!missing.isEmpty()) {
                    // a mistyped group would otherwise read as a group with no lag
                    System.err.println("lag: no consumer group named " + String.join(", ", missing) + " on "
                            + s.kafka().bootstrapServers() + " (without --group, lag lists every group)");
                }
                if (watch != null) {
                    Thread.sleep(intervalMs);
                }
            } while (watch != null);
            return missing.isEmpty() ? Pipeline.OK : Pipeline.RUNTIME_FAILURE;
        }
    }

    /** The groups asked for by name that the broker does not know. */
    static List<String> missing(List<String> named, LagSnapshot snap) {
        List<String> missing = new ArrayList<>(named);
        for (LagSnapshot.Group g : snap.groups()) {
            missing.remove(g.group());
        }
        return missing;
    }

    static String table(LagSnapshot snap) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "LAG-SECONDS",
            "STATE", "MEMBERS", "CONSUMER-ID"});
        for (LagSnapshot.Group g : snap.groups()) {
            if (g.partitions().isEmpty()) {
                rows.add(new String[] {g.group(), "-", "-", "-", "-", "-", "-", g.state(), Integer.toString(g.members()),
                    "-"});
            }
            for (LagSnapshot.Partition p : g.partitions()) {
                rows.add(new String[] {g.group(), p.topic(), Integer.toString(p.partition()), Long.toString(p.committed()),
                    Long.toString(p.logEnd()), Long.toString(p.lag()), seconds(p.lagSeconds()), g.state(),
                    Integer.toString(g.members()), p.consumer()});
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("consumer lag at ").append(Instant.ofEpochMilli(snap.polledAt())).append("\n\n");
        sb.append(TextTable.format(rows));
        if (snap.groups().isEmpty()) {
            sb.append("(no consumer groups)\n");
        }
        return sb.toString();
    }

    static String seconds(double s) {
        if (Double.isNaN(s)) {
            return "?";
        }
        return s < 10 ? String.format(Locale.ROOT, "%.1f", s) : String.format(Locale.ROOT, "%.0f", s);
    }
}
