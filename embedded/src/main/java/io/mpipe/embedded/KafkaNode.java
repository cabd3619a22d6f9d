package io.mpipe.embedded;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * One node of a {@link KafkaCluster}, in a process of its own:
 * {@code KafkaNode ID HOST PORT CONTROLLER_PORT VOTERS CLUSTER_ID DIR PARENT_PID [key=value ...]}.
 * Prints {@link #READY} once it serves; stops on SIGTERM, and when the process that started it
 * ends (however it ends), so that no broker outlives its cluster.
 */
public final class KafkaNode {
    /** What the node prints once it serves. */
    static final String READY = "kafka-node: ready";

    private KafkaNode() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 8) {
            System.err.println("usage: KafkaNode ID HOST PORT CONTROLLER_PORT VOTERS CLUSTER_ID DIR PARENT_PID [key=value ...]");
            System.exit(2);
        }
        int id = Integer.parseInt(args[0]);
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 8; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            overrides.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        EmbeddedKafka node = EmbeddedKafka.node(Path.of(args[6]), args[1], id, Integer.parseInt(args[2]),
                Integer.parseInt(args[3]), args[4], args[5], overrides);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.stop();
            stopped.countDown();
        }, "kafka-node-stop"));
        ProcessHandle.of(Long.parseLong(args[7])).ifPresentOrElse(
                parent -> parent.onExit().thenRun(() -> System.exit(0)),
                () -> System.exit(0));
        node.start();
        System.out.println(READY + " (node " + id + " on " + node.bootstrapServers() + ")");
        System.out.flush();
        stopped.await();
    }
}
