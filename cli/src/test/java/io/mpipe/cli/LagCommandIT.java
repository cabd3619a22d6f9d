package io.mpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = Pipeline.commandLine().execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

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

        Run known = run("lag", "--config", config.toString(), "--group", group);
        assertThat(known.exit()).isEqualTo(Pipeline.OK);
        assertThat(known.out()).contains(group).contains(topic);
        assertThat(known.err()).doesNotContain("no consumer group named");

        Run typo = run("lag", "--config", config.toString(), "--group", group, "--group", group + "-typo");
        assertThat(typo.exit()).isEqualTo(Pipeline.RUNTIME_FAILURE);
        assertThat(typo.out()).contains(group);
        assertThat(typo.err().lines().toList()).contains("lag: no consumer group named " + group + "-typo on "
                + kafka.bootstrapServers() + " (without --group, lag lists every group)");
    }
}
