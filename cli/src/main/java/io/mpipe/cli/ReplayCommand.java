package io.mpipe.cli;

import io.mpipe.collector.CollectorApp;
import io.mpipe.collector.CollectorConfig;
import io.mpipe.collector.CollectorMetrics;
import io.mpipe.collector.publish.MetricPublisher;
import io.mpipe.collector.replay.ReplayFormat;
import io.mpipe.collector.replay.ReplayOptions;
import io.mpipe.collector.replay.ReplayReader;
import io.mpipe.collector.replay.Replayer;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.config.Durations;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.wire.Topics;
import io.mpipe.sink.SinkConfig;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replay files of historical metrics onto the topic, keeping their timestamps and marking the"
            + " records as replayed.",
            "Formats (detected from the name or the first line; any of them may be gzipped):",
            "  jsonl        the wire format, one JSON object a line",
            "  csv          name,timestamp,value,labels as PostgreSQL writes it with",
            "               \\copy (SELECT name, ts, value, labels FROM metrics)",
            "               TO 'f.csv' CSV HEADER",
            "  csv-ts       timestamp,value (needs --name; --label adds labels)",
            "  openmetrics  OpenMetrics or Prometheus text with timestamps",
            "Bad lines are reported with their line numbers and do not stop the replay.",
            "Note: the sink skips samples older than sink.retention (30 days by default; local mode keeps any age);"
                + " the summary says how many records are older than the config's retention."})
final class ReplayCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Files to replay, in order.")
    List<Path> files;

    @Option(names = "--topic", paramLabel = "T", description = "Topic (default: kafka.topic, metrics).")
    String topic;

    @Option(names = "--rate", paramLabel = "N", description = "At most N records a second (default: as fast as"
            + " the broker takes them).")
    double rate;

    @Option(names = "--dry-run", description = "Read and check the files, send nothing.")
    boolean dryRun;

    @Option(names = "--format", paramLabel = "F", description = "jsonl, csv, csv-ts or openmetrics (default: detect).")
    String format;

    @Option(names = "--name", paramLabel = "NAME", description = "Metric name for csv-ts files.")
    String name;

    @Option(names = "--label", paramLabel = "K=V", description = "A label to add (repeatable).")
    List<String> labels = List.of();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ReplayOptions options = options();
        for (Path f : files) {
            if (!Files.isReadable(f)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "FILE: " + f + " does not exist or cannot be read");
            }
            // what can be told from a file's name and first line is told before anything is sent
            try (ReplayReader r = ReplayReader.open(f, options)) {
                r.format();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            } catch (IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "FILE: " + f + " cannot be read: "
                        + e.getMessage());
            }
        }
        if (rate < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rate: must not be negative");
        }
        Duration retention = retention(config.source());
        Replayer replayer = new Replayer(options, rate)
                .countOlderThan(System.currentTimeMillis() - retention.toMillis());
        ProgressPrinter progress = new ProgressPrinter();
        Replayer.Summary summary;
        if (dryRun) {
            summary = replayer.run(files, null, progress);
        } else {
            CollectorConfig c = config.load("replay", CollectorConfig::read, CollectorConfig::logging,
                    CollectorConfig.SECTIONS);
            if (topic != null) {
                c = new CollectorConfig(c.kafka().withTopic(topic), c.logging(), c.http(), c.producer(), c.hedera(),
                        c.synthetic(), c.remoteWrite());
            }
            Admin admin = Admin.create(c.kafka().clientProperties());
            try {
                Topics.ensure(admin, c.kafka(), c.kafka().topic());
            } finally {
                admin.close(Duration.ofSeconds(5)); // not the minute its calls may still be waiting on a broker not there
            }
            try (MetricPublisher publisher = new MetricPublisher(new KafkaProducer<>(
                    CollectorApp.producerProps(c, "replay"), new ByteArraySerializer(), new ByteArraySerializer()),
                    c.kafka().topic(), c.producer().maxBuffered(), new CollectorMetrics(new CollectorRegistry()))) {
                summary = replayer.run(files, publisher, progress);
            }
        }
        progress.finish();
        print(summary, retention);
        return summary.failed() > 0 ? Pipeline.RUNTIME_FAILURE : Pipeline.OK;
    }

    /** {@code sink.retention} as the config sets it (the sink's default otherwise). */
    static Duration retention(ConfigSource source) {
        return SinkConfig.retention(source.reader()); // a bad value reads as the default
    }

    private ReplayOptions options() {
        ReplayFormat f = null;
        if (format != null) {
            try {
                f = ReplayFormat.valueOf(format.toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--format: '" + format + "' is not one of jsonl, csv, csv-ts, openmetrics");
            }
        }
        Labels.Builder b = Labels.builder();
        for (String l : labels) {
            int eq = l.indexOf('=');
            if (eq <= 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--label: '" + l + "' must be name=value");
            }
            try {
                b.put(l.substring(0, eq), l.substring(eq + 1));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--label: " + e.getMessage());
            }
        }
        try {
            return new ReplayOptions(f, name, b.build());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--name: " + e.getMessage());
        }
    }

    private void print(Replayer.Summary s, Duration retention) {
        double secs = Math.max(0.001, s.elapsed().toMillis() / 1000.0);
        System.out.printf(Locale.ROOT, "read %,d lines in %.1f s (%,.0f lines/s)%n", s.read(), secs, s.read() / secs);
        if (dryRun) {
            System.out.printf(Locale.ROOT, "good %,d (dry run: nothing sent)%n", s.good());
        } else {
            System.out.printf(Locale.ROOT, "sent %,d%s%n", s.sent(),
                    s.failed() > 0 ? String.format(Locale.ROOT, ", NOT delivered %,d", s.failed()) : "");
        }
        System.out.printf(Locale.ROOT, "rejected %,d%n", s.rejected());
        for (Replayer.Rejection r : s.firstRejections()) {
            System.out.printf("  %s:%d: %s%n", r.file(), r.line(), r.reason());
        }
        if (s.rejected() > s.firstRejections().size()) {
            System.out.printf(Locale.ROOT, "  ... and %,d more%n", s.rejected() - s.firstRejections().size());
        }
        if (s.olderThanCutoff() > 0) {
            boolean one = s.olderThanCutoff() == 1;
            System.out.printf(Locale.ROOT, "note: %,d of the %,d good records %s older than sink.retention (%s %s;"
                    + " the oldest from %s): a sink with that retention skips %s (counted in"
                    + " sink_samples_skipped_total{reason=\"retention\"}). To store %s, raise sink.retention for"
                    + " that sink first (local mode keeps samples of any age unless a retention is set).%n",
                    s.olderThanCutoff(), s.good(), one ? "is" : "are", Durations.format(retention),
                    config.file == null ? "by default" : "in " + config.file,
                    Instant.ofEpochMilli(s.oldestTimestamp()).truncatedTo(ChronoUnit.SECONDS), one ? "it" : "them",
                    one ? "it" : "them");
        }
    }

    /**
     * Records, rate and ETA: on one updating line when stderr is a terminal, otherwise a line every
     * 10 s (so a long replay shows it is alive in a log, and a short one prints none).
     */
    static final class ProgressPrinter implements Replayer.Progress {
        private static final long PLAIN_EVERY_NANOS = 10_000_000_000L;
        private final boolean terminal = stderrIsTerminal();
        private long lastPlain;
        private boolean printed;

        @Override
        public void update(long records, long bytesRead, long totalBytes, Duration elapsed) {
            long nanos = elapsed.toNanos();
            if (!terminal && nanos - lastPlain < PLAIN_EVERY_NANOS) {
                return;
            }
            double secs = Math.max(0.001, nanos / 1e9);
            double frac = totalBytes == 0 ? 1 : Math.min(1, (double) bytesRead / totalBytes);
            String eta = frac <= 0 ? "?" : String.format(Locale.ROOT, "%.0fs", secs / frac - secs);
            String line = String.format(Locale.ROOT, "%,d records  %,.0f/s  %3.0f%%  ETA %s", records, records / secs,
                    frac * 100, eta);
            if (terminal) {
                System.err.print("\r" + line + "   ");
                printed = true;
            } else {
                lastPlain = nanos;
                System.err.println("replay: " + line);
            }
            System.err.flush();
        }

        void finish() {
            if (printed) {
                System.err.println();
            }
        }

        /** Whether stderr is a terminal (on Linux, where it says so; elsewhere, whether there is a console). */
        static boolean stderrIsTerminal() {
            try {
                String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                return System.console() != null;
            }
        }
    }
}
