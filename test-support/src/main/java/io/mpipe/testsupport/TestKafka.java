package io.mpipe.testsupport;

import io.mpipe.embedded.EmbeddedKafka;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * The shared broker as a test sees it. Each test isolates itself by asking for its own topics
 * ({@link #newTopic}) and consumer groups ({@link #newGroup}).
 */
public final class TestKafka {
    private static final AtomicInteger SEQ = new AtomicInteger();

    private final EmbeddedKafka broker;

    TestKafka(EmbeddedKafka broker) {
        this.broker = broker;
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** The broker itself, for tests that stop and start it. */
    public EmbeddedKafka broker() {
        return broker;
    }

    /** A new admin client; close it. */
    public Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return Admin.create(p);
    }

    /** A unique name with the given prefix, for topics, groups and application ids. */
    public static String uniqueName(String prefix) {
        return prefix + "-" + SEQ.incrementAndGet() + "-" + Long.toString(System.nanoTime() & 0xffffff, 36);
    }

    /** Creates a topic with a unique name and returns the name. */
    public String newTopic(String prefix, int partitions) {
        return newTopic(prefix, partitions, Map.of());
    }

    public String newTopic(String prefix, int partitions, Map<String, String> configs) {
        String name = uniqueName(prefix);
        createTopic(name, partitions, configs);
        return name;
    }

    /**
     * Creates the topic and waits until every partition has a leader that serves it (answers for
     * its latest offset): a produce to a partition whose leader the broker has not taken up yet is
     * refused (NOT_LEADER_OR_FOLLOWER), and an idempotent producer's retry of it can then be
     * refused as out of sequence until it times out. (The services do the same through
     * {@code Topics.awaitServed}, which this module cannot use: the common module's tests use this one.)
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
                    .all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!led(admin, name)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + name + " has partitions without a leader after 30 s");
                }
                Thread.sleep(20);
            }
            // the leader known is not yet the leader serving: this asks the leader itself (retried until it does)
            admin.listOffsets(latest(name, partitions)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("creating topic " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** True when the broker knows the topic and every partition has a leader. */
    private static boolean led(Admin admin, String topic)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic)
                    .partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) {
                return false; // created, not yet in the broker's metadata
            }
            throw e;
        }
    }

    /**
     * The sum of the latest offsets of the topic's first {@code partitions} partitions: the records
     * written to it, for a topic no transaction wrote to and nothing deleted from.
     */
    public long recordsIn(String topic, int partitions) {
        try (Admin admin = admin()) {
            return admin.listOffsets(latest(topic, partitions)).all().get(30, TimeUnit.SECONDS).values().stream()
                    .mapToLong(i -> i.offset()).sum();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("reading the latest offsets of " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The latest offset of each of the topic's first {@code partitions} partitions, to ask for. */
    private static Map<TopicPartition, OffsetSpec> latest(String topic, int partitions) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        return latest;
    }

    /** A unique consumer group id. */
    public String newGroup(String prefix) {
        return uniqueName(prefix);
    }
}
