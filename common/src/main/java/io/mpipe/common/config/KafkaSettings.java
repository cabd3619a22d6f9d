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
 */
public record KafkaSettings(String bootstrapServers, String topic, String dlqTopic, Map<String, String> properties) {

    public KafkaSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(dlqTopic, "dlqTopic");
        properties = Map.copyOf(properties);
    }

    public static KafkaSettings of(String bootstrapServers) {
        return new KafkaSettings(bootstrapServers, WireFormat.DEFAULT_TOPIC, WireFormat.DEFAULT_DLQ_TOPIC, Map.of());
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
        return new KafkaSettings(bootstrap, topic, dlq, props);
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
        return new KafkaSettings(bootstrapServers, newTopic, dlqTopic, properties);
    }
}
