package io.mpipe.sink;

import io.mpipe.common.config.ConfigSource;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Path;

/** Runs a sink in a process of its own, so a test can kill it for real (SIGKILL, no shutdown hook). */
public final class SinkProcessMain {

    private SinkProcessMain() {
    }

    public static void main(String[] args) throws Exception {
        SinkConfig config = SinkConfig.load(ConfigSource.load(Path.of(args[0]), System.getenv()));
        SinkApp app = SinkApp.start(config, new CollectorRegistry());
        System.out.println("READY port=" + app.httpPort());
        System.out.flush();
        app.awaitTermination();
    }
}
