package io.mpipe.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Three KRaft nodes as processes: replicated topics by default, and a leader killed without loss. */
class KafkaClusterIT {

    @Test
    void shouldKeepEveryAcknowledgedRecordWhenTheLeaderIsKilledAndTakeTheNodeBack() throws Exception {
        Path dir = Files.createTempDirectory("mpipe-cluster-");
        KafkaCluster cluster = KafkaCluster.onLoopback(dir, 3, 0, Map.of());
        try {
            cluster.start();
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic("t", Optional.of(3), Optional.empty()))).all()
                        .get(30, TimeUnit.SECONDS);
                TopicDescription d = admin.describeTopics(List.of("t")).allTopicNames().get(30, TimeUnit.SECONDS).get("t");
                assertEquals(3, d.partitions().get(0).replicas().size(), "replicas by default");
                String minIsr = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                        org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "t"))).all().get(30, TimeUnit.SECONDS)
                        .values().iterator().next().get("min.insync.replicas").value();
                assertEquals("2", minIsr);
            }
            Properties pp = new Properties();
            pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
            pp.put(ProducerConfig.ACKS_CONFIG, "all");
            pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            try (KafkaProducer<String, String> p = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < 1000; i++) {
                    p.send(new ProducerRecord<>("t", i % 3, null, "r" + i)).get();
                }
                int leader = cluster.leader(new TopicPartition("t", 0)).orElseThrow();
                cluster.kill(leader);
                for (int i = 1000; i < 2000; i++) {
                    p.send(new ProducerRecord<>("t", i % 3, null, "r" + i)).get(60, TimeUnit.SECONDS);
                }
                int after = cluster.leader(new TopicPartition("t", 0)).orElseThrow();
                assertNotEquals(leader, after);
                cluster.start(leader);
                cluster.awaitInSync(List.of("t"), Duration.ofSeconds(60));
            }
            Properties cp = new Properties();
            cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
            cp.put(ConsumerConfig.GROUP_ID_CONFIG, "check");
            cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            Set<String> seen = new HashSet<>();
            int read = 0;
            try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
                c.subscribe(List.of("t"));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (read < 2000 && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                        seen.add(r.value());
                        read++;
                    }
                }
            }
            assertEquals(2000, read, "each record once");
            assertEquals(2000, seen.size());
            assertTrue(Files.readString(cluster.logFile(1), StandardCharsets.UTF_8).contains(KafkaNode.READY));
        } finally {
            cluster.close();
            cluster.deleteData();
        }
    }
}
