package io.mpipe.embedded;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A Kafka broker and a PostgreSQL, and nothing else, for scripts that run the services as
 * processes beside them (deploy/smoke.sh runs the docker-compose stack so):
 * {@code java -cp ... io.mpipe.embedded.Servers KAFKA_PORT POSTGRES_PORT DIR}. Prints
 * {@code servers: ready} once both serve, and stops both on SIGTERM. The broker's controller takes
 * the port after the broker's.
 */
public final class Servers {

    private Servers() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: Servers KAFKA_PORT POSTGRES_PORT DIR");
            System.exit(2);
        }
        int kafkaPort = Integer.parseInt(args[0]);
        int pgPort = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]);
        Files.createDirectories(dir);
        EmbeddedKafka kafka = EmbeddedKafka.create(dir.resolve("kafka"), kafkaPort, kafkaPort + 1,
                Map.of("num.partitions", "6"));
        EmbeddedPostgres pg = EmbeddedPostgres.create(dir.resolve("postgres"), true, pgPort);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            pg.close();
            kafka.close();
            stop.countDown();
        }, "servers-stop"));
        kafka.start();
        pg.start();
        pg.watch(ProcessHandle.current());
        System.out.println("servers: ready (kafka 127.0.0.1:" + kafkaPort + ", postgres 127.0.0.1:" + pgPort + ")");
        System.out.flush();
        stop.await();
    }
}
