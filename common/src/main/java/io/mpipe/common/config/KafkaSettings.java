package io.mpipe.common.config;

import io.mpipe.common.wire.WireFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * The {@code kafka} section, shared by every service.
 *
 * @param bootstrapServers {@code kafka.bootstrap-servers}
 * @param topic            {@code kafka.topic}, the metrics topic
 * @param dlqTopic         {@code kafka.dlq-topic}, where the sink puts records it cannot store
 * @param properties       {@code kafka.properties}: client properties (SASL, TLS ...) passed to
 *                         every producer, consumer and admin client unchanged
 * @param topicPartitions  {@code kafka.topic-partitions}: partitions of the topics when a service
 *                         creates them (they are created only when missing)
 * @param replicationFactor {@code kafka.replication-factor}: replication of created topics; -1
 *                         takes the broker's default
 */
public record KafkaSettings(String bootstrapServers, String topic, String dlqTopic, Map<String, String> properties,
        int topicPartitions, short replicationFactor) {

    public static final int DEFAULT_PARTITIONS = 6;

    public KafkaSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(dlqTopic, "dlqTopic");
        properties = Map.copyOf(properties);
    }

    public static KafkaSettings of(String bootstrapServers) {
        return new KafkaSettings(bootstrapServers, WireFormat.DEFAULT_TOPIC, WireFormat.DEFAULT_DLQ_TOPIC, Map.of(),
                DEFAULT_PARTITIONS, (short) -1);
    }

    public static KafkaSettings read(ConfigReader r) {
        String bootstrap = r.string("kafka.bootstrap-servers", "localhost:9092");
        if (bootstrap.isBlank()) {
            r.problem("kafka.bootstrap-servers", "is required");
        }
        String topic = r.string("kafka.topic", WireFormat.DEFAULT_TOPIC);
        checkTopic(r, "kafka.topic", topic);
        String dlq = r.string("kafka.dlq-topic", WireFormat.DEFAULT_DLQ_TOPIC);
        checkTopic(r, "kafka.dlq-topic", dlq);
        if (topic.equals(dlq)) {
            r.problem("kafka.dlq-topic", "must differ from kafka.topic");
        }
        Map<String, String> props = r.stringMap("kafka.properties");
        if (props.containsKey("bootstrap.servers")) {
            r.problem("kafka.properties.bootstrap.servers", "set kafka.bootstrap-servers instead");
        }
        int partitions = r.integer("kafka.topic-partitions", DEFAULT_PARTITIONS, 1, 10_000);
        short rf = (short) r.integer("kafka.replication-factor", -1, -1, 32);
        if (rf == 0) {
            r.problem("kafka.replication-factor", "must be -1 (broker default) or at least 1");
        }
        return new KafkaSettings(bootstrap, topic, dlq, props, partitions, rf);
    }

    private static void checkTopic(ConfigReader r, String path, String topic) {
        if (!topic.matches("[a-zA-Z0-9._-]{1,249}")) {
            r.problem(path, "'" + topic + "' is not a valid topic name (letters, digits, '.', '_', '-'; 1-249)");
        }
    }

    /** Base client properties: bootstrap servers plus the pass-through section. */
    public Properties clientProperties() {
        Properties p = new Properties();
        p.putAll(properties);
        p.put("bootstrap.servers", bootstrapServers);
        return p;
    }

    public KafkaSettings withTopic(String newTopic) {
        return new KafkaSettings(bootstrapServers, newTopic, dlqTopic, properties, topicPartitions, replicationFactor);
    }
}
