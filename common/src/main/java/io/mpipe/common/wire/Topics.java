package io.mpipe.common.wire;

import io.mpipe.common.config.KafkaSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the pipeline's topics when they are missing; never changes existing ones. */
public final class Topics {
    private static final Logger log = LoggerFactory.getLogger(Topics.class);

    /** How long to wait for the broker to answer at all. */
    static final int REACH_SECONDS = 30;

    private Topics() {
    }

    /**
     * Ensures each named topic exists, creating missing ones with the configured partitions and
     * replication.
     *
     * @throws IllegalStateException when the broker cannot be reached or refuses
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
            if (missing.isEmpty()) {
                return;
            }
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
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topics " + String.join(", ", topics) + " on "
                    + kafka.bootstrapServers() + ": " + (e.getCause() != null ? e.getCause() : e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }
}
