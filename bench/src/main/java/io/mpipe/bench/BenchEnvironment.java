package io.mpipe.bench;

import io.mpipe.embedded.EmbeddedKafka;
import io.mpipe.embedded.EmbeddedPostgres;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The broker and database a benchmark runs against: started in-process (and stopped at the end),
 * or given by the user. Every phase gets a database of its own.
 */
public final class BenchEnvironment implements AutoCloseable {
    private static final AtomicInteger DB = new AtomicInteger();

    private final EmbeddedKafka kafka;
    private final EmbeddedPostgres postgres;
    private final String bootstrapServers;

    private BenchEnvironment(EmbeddedKafka kafka, EmbeddedPostgres postgres, String bootstrapServers) {
        this.kafka = kafka;
        this.postgres = postgres;
        this.bootstrapServers = bootstrapServers;
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
                topics.add(new org.apache.kafka.clients.admin.NewTopic(n, 6, (short) 1));
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
        postgres.close();
        if (kafka != null) {
            kafka.close();
        }
    }
}
