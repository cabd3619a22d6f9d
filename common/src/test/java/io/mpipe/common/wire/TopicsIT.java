package io.mpipe.common.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.common.config.KafkaSettings;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

@WithKafka
class TopicsIT {
    private static final int PARTITIONS = 6;

    /**
     * The collector creates its topic and starts producing at once. A produce request that reaches
     * a partition's leader before the broker has taken the new partition up is refused
     * (NOT_LEADER_OR_FOLLOWER); when a later request of the same idempotent producer is taken
     * first, every retry of the refused one is then refused as out of sequence until the delivery
     * timeout drops its records. So {@link Topics#ensure} returns only once every partition of a
     * topic it created is served by its leader.
     */
    @Test
    void shouldLoseNothingProducedTheMomentATopicIsCreated(TestKafka kafka) throws Exception {
        for (int round = 0; round < 20; round++) {
            String topic = TestKafka.uniqueName("fresh");
            KafkaSettings settings = new KafkaSettings(kafka.bootstrapServers(), topic, topic + ".dlq", Map.of(),
                    PARTITIONS, (short) 1);
            int records = 600;
            AtomicInteger failed = new AtomicInteger();
            AtomicReference<Exception> firstFailure = new AtomicReference<>();
            try (Admin admin = kafka.admin(); KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
                Topics.ensure(admin, settings, topic);
                for (int i = 0; i < records; i++) {
                    // one small request after another to every partition, several in flight at once
                    producer.send(new ProducerRecord<>(topic, i % PARTITIONS, null,
                            ("k" + i).getBytes(StandardCharsets.UTF_8), new byte[64]), (md, e) -> {
                                if (e != null) {
                                    failed.incrementAndGet();
                                    firstFailure.compareAndSet(null, e);
                                }
                            });
                }
                producer.flush();
                assertThat(failed.get()).as("round %d: records not delivered (first: %s)", round, firstFailure.get())
                        .isZero();
                assertThat(kafka.recordsIn(topic, PARTITIONS)).as("round %d: records in the topic", round).isEqualTo(records);
            }
        }
    }

    @Test
    void shouldGiveUpWaitingForATopicThatIsNotThereAtItsDeadline(TestKafka kafka) throws Exception {
        try (Admin admin = kafka.admin()) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> Topics.awaitServed(admin, List.of(TestKafka.uniqueName("absent")),
                    java.time.Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not served by their leaders within 1000 ms");
            // not at once (it waited), and not for the Admin default of a minute past its deadline
            assertThat((System.nanoTime() - t0) / 1e9).isBetween(1.0, 10.0);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(TestKafka kafka) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "256");
        // a record refused for good is dropped after this, rather than after two minutes
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "4000");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
