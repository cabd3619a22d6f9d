package io.mpipe.cli;

import io.mpipe.collector.CollectorApp;
import io.mpipe.collector.CollectorConfig;
import io.mpipe.collector.CollectorMetrics;
import io.mpipe.collector.publish.MetricPublisher;
import io.mpipe.collector.replay.ReplayFormat;
import io.mpipe.collector.replay.ReplayOptions;
import io.mpipe.collector.replay.Replayer;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.wire.Topics;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
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
            "  csv          name,timestamp,value,labels as PostgreSQL writes it with \\copy ... CSV HEADER",
            "  csv-ts       timestamp,value (needs --name; --label adds labels)",
            "  openmetrics  OpenMetrics or Prometheus text with timestamps",
            "Bad lines are reported with their line numbers and do not stop the replay.",
            "Note: the sink skips samples older than sink.retention (30 days by default)."})
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
        }
        if (rate < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rate: must not be negative");
        }
        Replayer replayer = new Replayer(options, rate);
        ProgressPrinter progress = new ProgressPrinter();
        Replayer.Summary summary;
        if (dryRun) {
            summary = replayer.run(files, null, progress);
        } else {
            CollectorConfig c = config.load("replay", CollectorConfig::read, CollectorConfig::logging,
                    CollectorConfig.SECTIONS);
            if (topic != null) {
                c = new CollectorConfig(c.kafka().withTopic(topic), c.logging(), c.http(), c.producer(), c.hedera(),
                        c.synthetic());
            }
            try (Admin admin = Admin.create(c.kafka().clientProperties())) {
                Topics.ensure(admin, c.kafka(), c.kafka().topic());
            }
            try (MetricPublisher publisher = new MetricPublisher(new KafkaProducer<>(
                    CollectorApp.producerProps(c, "replay"), new ByteArraySerializer(), new ByteArraySerializer()),
                    c.kafka().topic(), c.producer().maxBuffered(), new CollectorMetrics(new CollectorRegistry()))) {
                summary = replayer.run(files, publisher, progress);
            }
        }
        progress.finish();
        print(summary);
        return summary.failed() > 0 ? Pipeline.RUNTIME_FAILURE : Pipeline.OK;
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

    private void print(Replayer.Summary s) {
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
    }

    /** Records, rate and ETA on one updating line when stderr is a terminal; silent otherwise. */
    static final class ProgressPrinter implements Replayer.Progress {
        private final boolean terminal = System.console() != null;
        private final long start = System.nanoTime();
        private boolean printed;

        @Override
        public void update(long records, long bytesRead, long totalBytes) {
            if (!terminal) {
                return;
            }
            double secs = Math.max(0.001, (System.nanoTime() - start) / 1e9);
            double frac = totalBytes == 0 ? 1 : Math.min(1, (double) bytesRead / totalBytes);
            String eta = frac <= 0 ? "?" : String.format(Locale.ROOT, "%.0fs", secs / frac - secs);
            System.err.printf(Locale.ROOT, "\r%,d records  %,.0f/s  %3.0f%%  ETA %s   ", records, records / secs,
                    frac * 100, eta);
            printed = true;
        }

        void finish() {
            if (printed) {
                System.err.println();
            }
        }
    }
}
