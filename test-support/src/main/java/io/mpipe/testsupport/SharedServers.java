package io.mpipe.testsupport;

import io.mpipe.embedded.EmbeddedKafka;
import io.mpipe.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The broker and the database shared by every test in a test JVM: started on first use, stopped
 * when the JUnit run ends (through the root context store).
 */
final class SharedServers {
    private static EmbeddedKafka kafka;
    private static EmbeddedPostgres postgres;

    private SharedServers() {
    }

    /** Closed by JUnit when the run ends. */
    @SuppressWarnings("deprecation")
    private record Closer(Runnable action) implements AutoCloseable, ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            action.run();
        }
    }

    static synchronized EmbeddedKafka kafka(ExtensionContext context) {
        if (kafka == null) {
            kafka = EmbeddedKafka.startTemporary();
            EmbeddedKafka k = kafka;
            context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                    .put("mpipe.kafka", new Closer(() -> {
                        synchronized (SharedServers.class) {
                            k.close();
                            kafka = null;
                        }
                    }));
        }
        if (!kafka.isRunning()) {
            kafka.start(); // a fault test stopped it and failed before restarting it
        }
        return kafka;
    }

    static synchronized EmbeddedPostgres postgres(ExtensionContext context) {
        if (postgres == null) {
            postgres = EmbeddedPostgres.startTemporary();
            EmbeddedPostgres p = postgres;
            context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                    .put("mpipe.postgres", new Closer(() -> {
                        synchronized (SharedServers.class) {
                            p.close();
                            postgres = null;
                        }
                    }));
        }
        return postgres;
    }
}
