package io.mpipe.bench;

import io.mpipe.embedded.EmbeddedKafka;
import io.mpipe.embedded.EmbeddedPostgres;
import io.mpipe.embedded.KafkaCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The broker and database a benchmark runs against: started in-process (and stopped at the end),
 * or given by the user. Every phase gets a database of its own.
 */
public final class BenchEnvironment implements AutoCloseable {
    private static final AtomicInteger DB = new AtomicInteger();

    private final EmbeddedKafka kafka;
    private final KafkaCluster cluster;
    private final EmbeddedPostgres postgres;
    /** False for an environment that shares another's PostgreSQL ({@link #withCluster}). */
    private final boolean ownsPostgres;
    private final String bootstrapServers;

    private BenchEnvironment(EmbeddedKafka kafka, KafkaCluster cluster, EmbeddedPostgres postgres,
            boolean ownsPostgres, String bootstrapServers) {
        this.kafka = kafka;
        this.cluster = cluster;
        this.postgres = postgres;
        this.ownsPostgres = ownsPostgres;
        this.bootstrapServers = bootstrapServers;
    }

    private BenchEnvironment(EmbeddedKafka kafka, EmbeddedPostgres postgres, String bootstrapServers) {
        this(kafka, null, postgres, true, bootstrapServers);
    }

    /**
     * The same PostgreSQL with a cluster of {@code brokers} Kafka nodes, each a process of its own on
     * this machine, topics replicated {@code min(3, brokers)} times with {@code min.insync.replicas}
     * {@code min(2, brokers)}; closing it stops the cluster and leaves the PostgreSQL to this one.
     */
    public BenchEnvironment withCluster(int brokers) throws IOException {
        BenchOutput.progress("starting a Kafka cluster of " + brokers + " nodes (a process each) ...");
        Path dir = Files.createTempDirectory("mpipe-bench-cluster-");
        KafkaCluster c = KafkaCluster.onLoopback(dir, brokers, 0, Map.of());
        try {
            c.start();
        } catch (RuntimeException e) {
            c.close();
            c.deleteData();
            throw e;
        }
        return new BenchEnvironment(null, c, postgres, false, c.bootstrapServers());
    }

    /** Starts what is not given: {@code bootstrap} may be null (an in-process broker). */
    public static BenchEnvironment start(String bootstrap) {
        EmbeddedKafka k = null;
        if (bootstrap == null) {
            BenchOutput.progress("starting an in-process Kafka broker ...");
            k = EmbeddedKafka.startTemporary();
            bootstrap = k.bootstrapServers();
        }
        BenchOutput.progress("starting an embedded PostgreSQL ...");
        EmbeddedPostgres pg = EmbeddedPostgres.startTemporary();
        return new BenchEnvironment(k, pg, bootstrap);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** A new empty database; returns its JDBC URL (user postgres, no password). */
    public String newDatabase(String prefix) {
        String name = prefix + "_" + DB.incrementAndGet() + "_" + ProcessHandle.current().pid();
        postgres.createDatabase(name);
        return postgres.jdbcUrl(name);
    }

    /** Creates topics of 6 partitions, as the pipeline's default is. */
    public void createTopics(String... names) throws Exception {
        java.util.Properties p = new java.util.Properties();
        p.put("bootstrap.servers", bootstrapServers);
        try (org.apache.kafka.clients.admin.Admin a = org.apache.kafka.clients.admin.Admin.create(p)) {
            java.util.List<org.apache.kafka.clients.admin.NewTopic> topics = new java.util.ArrayList<>();
            for (String n : names) {
                // replicated as the brokers' default says: once on one broker, three times on a cluster
                topics.add(new org.apache.kafka.clients.admin.NewTopic(n, java.util.Optional.of(6),
                        java.util.Optional.empty()));
            }
            a.createTopics(topics).all().get();
            // as the services do: a produce the moment a topic exists can lose its first records
            io.mpipe.common.wire.Topics.awaitServed(a, java.util.List.of(names), java.time.Duration.ofSeconds(30));
        }
    }

    public String user() {
        return EmbeddedPostgres.SUPERUSER;
    }

    @Override
    public void close() {
        if (ownsPostgres) {
            postgres.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (cluster != null) {
            cluster.close();
            cluster.deleteData();
        }
    }
}
