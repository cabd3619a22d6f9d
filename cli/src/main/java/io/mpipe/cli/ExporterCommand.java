package io.mpipe.cli;

import io.mpipe.common.http.SelfMetrics;
import io.mpipe.exporter.ExporterApp;
import io.mpipe.exporter.ExporterConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "exporter", mixinStandardHelpOptions = true,
        description = {"Serve the recent metrics from a windowed, LRU-bounded Kafka Streams store: Prometheus /metrics,"
            + " the query API, storage stats.", "Runs until SIGTERM or Ctrl-C."})
final class ExporterCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        ExporterConfig c = config.load("exporter", ExporterConfig::read, ExporterConfig::logging,
                ExporterConfig.SECTIONS);
        ExporterApp app = ExporterApp.start(c, SelfMetrics.newRegistryWithJvmMetrics());
        return ServiceRunner.runUntilStopped(app, "exporter");
    }
}
