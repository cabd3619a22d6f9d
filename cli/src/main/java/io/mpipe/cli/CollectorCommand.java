package io.mpipe.cli;

import io.mpipe.collector.CollectorApp;
import io.mpipe.collector.CollectorConfig;
import io.mpipe.common.http.SelfMetrics;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "collector", mixinStandardHelpOptions = true,
        description = {"Poll the configured sources (Hedera mirror node, synthetic load) and produce metric records"
            + " to Kafka.", "Runs until SIGTERM or Ctrl-C, then waits for buffered records (up to 30 s) and exits 0."})
final class CollectorCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        CollectorConfig c = config.load("collector", CollectorConfig::read, CollectorConfig::logging,
                CollectorConfig.SECTIONS);
        CollectorApp app = CollectorApp.start(c, SelfMetrics.newRegistryWithJvmMetrics());
        return ServiceRunner.runUntilStopped(app, "collector");
    }
}
