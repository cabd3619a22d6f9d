package io.mpipe.cli;

import io.mpipe.cli.local.LocalMode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "local", mixinStandardHelpOptions = true,
        description = {"Run everything on this machine with no Docker: an in-process Kafka broker, an embedded"
            + " PostgreSQL with its data in --data-dir, and the collector (synthetic load, plus the Hedera sources"
            + " when the config names accounts and a mirror node), the sink and the exporter.",
            "Prints the URLs, then a health line every few seconds. Ctrl-C or SIGTERM stops everything; a second"
                + " start with the same --data-dir resumes where it stopped."})
final class LocalCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = ".local",
            description = "Where Kafka's log and PostgreSQL's data live (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--kafka-port", paramLabel = "PORT", defaultValue = "9092",
            description = "Kafka's port (default: ${DEFAULT-VALUE}; the controller takes the next one).")
    int kafkaPort;

    @Option(names = "--brokers", paramLabel = "N", defaultValue = "1",
            description = {"Kafka brokers (default: ${DEFAULT-VALUE}, in this process). Above 1, a cluster of N"
                + " KRaft nodes, a process each, broker i on --kafka-port + 2(i-1) and its controller on the port"
                + " after, topics replicated 3 times with min.insync.replicas 2: stop one and the pipeline goes on."})
    int brokers;

    @Option(names = "--postgres-port", paramLabel = "PORT", defaultValue = "5433",
            description = "PostgreSQL's port (default: ${DEFAULT-VALUE}).")
    int postgresPort;

    @Option(names = "--rate", paramLabel = "N", description = "Synthetic metrics a second (default:"
            + " collector.synthetic.rate, 1000).")
    Double rate;

    @Option(names = "--no-synthetic", description = "Do not run the synthetic source.")
    boolean noSynthetic;

    @Option(names = "--status-interval", paramLabel = "SECONDS", defaultValue = "5",
            description = "Seconds between health lines (default: ${DEFAULT-VALUE}).")
    int statusInterval;

    @Override
    public Integer call() throws Exception {
        LocalMode.Options o = new LocalMode.Options(dataDir.toAbsolutePath(), kafkaPort, postgresPort, rate,
                !noSynthetic, statusInterval, config.file, brokers);
        try (LocalMode mode = LocalMode.start(o)) {
            Signals.onStop(mode::close);
            return mode.runUntilStopped();
        }
    }
}
