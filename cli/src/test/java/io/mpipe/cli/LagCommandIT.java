package io.mpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lag --group} against a real broker: a group that exists is shown, a name it does not know is said. */
@WithKafka
class LagCommandIT {

    @Test
    void shouldSayWhenANamedGroupDoesNotExist(TestKafka kafka, @TempDir Path dir) throws Exception {
        String topic = kafka.newTopic("lag-cmd", 1);
        String group = kafka.newGroup("lag-cmd");
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.commitSync(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(0)), Duration.ofSeconds(30));
        }
        Path config = dir.resolve("config.yaml");
        Files.writeString(config, "kafka:\n  bootstrap-servers: " + kafka.bootstrapServers() + "\n");

        CommandRun known = CommandRun.of("lag", "--config", config.toString(), "--group", group);
        assertThat(known.exit()).isEqualTo(Pipeline.OK);
        assertThat(known.out()).contains(group).contains(topic);
        assertThat(known.err()).doesNotContain("no consumer group named");

        CommandRun typo = CommandRun.of("lag", "--config", config.toString(), "--group", group, "--group", group + "-typo");
        assertThat(typo.exit()).isEqualTo(Pipeline.RUNTIME_FAILURE);
        assertThat(typo.out()).contains(group);
        assertThat(typo.err().lines().toList()).contains("lag: no consumer group named " + group + "-typo on "
                + kafka.bootstrapServers() + " (without --group, lag lists every group)");
    }
}
