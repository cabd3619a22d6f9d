package io.mpipe.common.wire;

import io.mpipe.common.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import io.mpipe.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the pipeline's topics when they are missing (never changes existing ones), and waits
 * until every partition of them is served by its leader.
 */
public final class Topics {
    private static final Logger log = LoggerFactory.getLogger(Topics.class);

    /** How long to wait for the broker to answer at all. */
    static final int REACH_SECONDS = 30;
    /**
     * How long {@link #ensure} waits for the topics' partitions to be served by their leaders: a
     * healthy broker takes up a new partition in milliseconds; one whose leader is away is not
     * waited for longer than this.
     */
    static final Duration SERVED_WITHIN = Duration.ofSeconds(10);

    private Topics() {
    }

    /**
     * Ensures each named topic exists, creating missing ones with the configured partitions and
     * replication, and returns once every partition of each is served by its leader
     * ({@link #awaitServed}), whoever created it: another service may have created it a moment ago.
     * When some partition is not served within {@link #SERVED_WITHIN} (its leader away, say), or
     * the broker will not say, that is logged and the caller goes on, as it would have without
     * the wait: a consumer still reads the other partitions.
     *
     * @throws IllegalStateException when the broker cannot be reached or refuses to create a topic
     */
    public static void ensure(Admin admin, KafkaSettings kafka, String... topics) {
        try {
            Set<String> existing;
            try {
                existing = admin.listTopics().names().get(REACH_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new IllegalStateException("cannot reach Kafka at " + kafka.bootstrapServers()
                        + " (kafka.bootstrap-servers) within " + REACH_SECONDS + " s", e);
            }
            List<NewTopic> missing = new ArrayList<>();
            for (String t : topics) {
                if (!existing.contains(t)) {
                    missing.add(new NewTopic(t, Optional.of(kafka.topicPartitions()),
                            kafka.replicationFactor() < 0 ? Optional.empty() : Optional.of(kafka.replicationFactor())));
                }
            }
            if (!missing.isEmpty()) {
                try {
                    admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
                    for (NewTopic t : missing) {
                        log.info("created topic {} with {} partitions", t.name(), kafka.topicPartitions());
                    }
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            try {
                awaitServed(admin, List.of(topics), SERVED_WITHIN);
            } catch (IllegalStateException e) {
                log.warn("{}; going on: a producer's first records to a partition its leader has not taken up"
                        + " yet may be refused until they time out", e.getMessage());
            }
        } catch (ExecutionException | TimeoutException e) {
            refusal(kafka, e).ifPresent(r -> {
                throw r;
            });
            throw new IllegalStateException("cannot create topics " + String.join(", ", topics) + " on "
                    + kafka.bootstrapServers() + ": " + (e.getCause() != null ? e.getCause() : e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    /**
     * When {@code e} (or a cause of it) says the broker refused this client (its credentials, its
     * TLS, its rights), a configuration error naming {@code kafka.properties} and what the broker
     * said; a refusal does not pass by waiting, so a service fails at once instead of retrying.
     */
    public static Optional<ConfigException> refusal(KafkaSettings kafka, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SslAuthenticationException) {
                return Optional.of(new ConfigException("kafka.properties: the TLS handshake with Kafka at "
                        + kafka.bootstrapServers() + " failed (check security.protocol and the ssl.* properties): "
                        + t.getMessage()));
            }
            if (t instanceof AuthenticationException) {
                return Optional.of(new ConfigException("kafka.properties: Kafka at " + kafka.bootstrapServers()
                        + " refused this service's credentials (check sasl.mechanism and sasl.jaas.config): "
                        + t.getMessage()));
            }
            if (t instanceof AuthorizationException) {
                return Optional.of(new ConfigException("kafka.properties: Kafka at " + kafka.bootstrapServers()
                        + " does not allow this service what it needs (ACLs of the principal in kafka.properties): "
                        + t.getMessage()));
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return Optional.empty();
    }

    /**
     * Checks that the broker takes this client's credentials, within {@code max}; a broker that
     * does not answer in time is not an error here (the caller decides whether it may wait).
     *
     * @throws ConfigException when the broker refuses the client
     */
    public static void checkAccess(Admin admin, KafkaSettings kafka, Duration max) {
        try {
            admin.describeCluster().clusterId().get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            refusal(kafka, e).ifPresent(r -> {
                throw r;
            });
        } catch (TimeoutException e) {
            // not reachable now: the caller's own wait says so
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits until every partition of {@code topics} is served by its leader: its leader answers
     * for its latest offset. A topic exists for the controller before its partitions' leaders have
     * taken them up, and a produce request that reaches a leader in between is refused
     * (NOT_LEADER_OR_FOLLOWER). An idempotent producer retries it, but when a later request of
     * its to the same partition was taken first, every retry is refused as out of sequence until
     * the delivery timeout drops its records; meanwhile the partition takes nothing more from it.
     *
     * @throws IllegalStateException when some partition is not served within {@code max}
     */
    public static void awaitServed(Admin admin, List<String> topics, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                int leftMs = leftMs(deadline);
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                for (TopicDescription d : admin.describeTopics(topics, new DescribeTopicsOptions().timeoutMs(leftMs))
                        .allTopicNames().get(leftMs, TimeUnit.MILLISECONDS).values()) {
                    for (TopicPartitionInfo p : d.partitions()) {
                        latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
                    }
                }
                leftMs = leftMs(deadline);
                admin.listOffsets(latest, new ListOffsetsOptions().timeoutMs(leftMs))
                        .all().get(leftMs, TimeUnit.MILLISECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw new IllegalStateException("topics " + String.join(", ", topics) + ": " + e.getCause(), e);
                }
                last = e; // not in the broker's metadata yet, or a leader not serving yet
            } catch (TimeoutException e) {
                last = e;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("topics " + String.join(", ", topics) + ": some partitions were not served"
                + " by their leaders within " + max.toMillis() + " ms"
                + (last == null ? "" : " (last: " + (last.getCause() != null ? last.getCause() : last) + ")"));
    }

    /** Milliseconds left until {@code deadline} (a {@link System#nanoTime()}), at least 1. */
    private static int leftMs(long deadline) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (deadline - System.nanoTime()) / 1_000_000));
    }
}
