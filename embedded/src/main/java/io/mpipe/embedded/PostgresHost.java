package io.mpipe.embedded;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A PostgreSQL in a process of its own, for tests that give it a host of its own:
 * {@code PostgresHost DIR PORT LISTEN_ADDRESSES ALLOWED_CIDR DATABASE PARENT_PID}. Creates
 * {@code DATABASE}, prints {@link #READY} once it serves, and stops the server on SIGTERM and when
 * the process that started it ends.
 */
public final class PostgresHost {
    static final String READY = "postgres-host: ready";

    private PostgresHost() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: PostgresHost DIR PORT LISTEN_ADDRESSES ALLOWED_CIDR DATABASE PARENT_PID");
            System.exit(2);
        }
        EmbeddedPostgres pg = EmbeddedPostgres.create(Path.of(args[0]), true, Integer.parseInt(args[1]),
                Map.of("listen_addresses", args[2]));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            pg.close();
            stopped.countDown();
        }, "postgres-host-stop"));
        ProcessHandle.of(Long.parseLong(args[5])).ifPresentOrElse(
                parent -> parent.onExit().thenRun(() -> System.exit(0)),
                () -> System.exit(0));
        pg.start();
        pg.watch(ProcessHandle.current());
        pg.allowHosts(args[3]);
        pg.createDatabase(args[4]);
        System.out.println(READY + " (port " + args[1] + ", listening on " + args[2] + ")");
        System.out.flush();
        stopped.await();
    }
}
