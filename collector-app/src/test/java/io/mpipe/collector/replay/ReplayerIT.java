package io.mpipe.collector.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.collector.publish.MetricPublisher;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricJson;
import io.mpipe.common.wire.WireFormat;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.prometheus.client.CollectorRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays files onto a real broker: every good line is exactly one record, keyed by its series,
 * timestamped with its original time, its value the metric, marked with the file it came from;
 * bad lines are in the summary with their line numbers; {@code --rate} holds across small files.
 */
@WithKafka
class ReplayerIT {

    private static MetricPublisher publisher(TestKafka kafka, String topic) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new MetricPublisher(new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer()), topic,
                1_000, new CollectorMetrics(new CollectorRegistry()));
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(TestKafka kafka, String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, kafka.newGroup("replayer-it"));
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            // anything more than expected would be a duplicate: read a little longer to see it
            c.poll(Duration.ofMillis(500)).forEach(out::add);
        }
        return out;
    }

    @Test
    void shouldSendEveryGoodLineOnceWithItsTimeKeyAndSourceAndListTheBadOnes(TestKafka kafka, @TempDir Path dir)
            throws Exception {
        String topic = kafka.newTopic("replayer", 3);
        List<Metric> expected = new ArrayList<>();
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 2_000; i++) {
            Metric m = new Metric("replayed_value", 1_600_000_000_000L + i * 1_000L, i * 0.25,
                    Labels.of("host", "h" + (i % 7), "note", i % 5 == 0 ? "ünï \"quoted\"" : "plain"));
            expected.add(m);
            jsonl.append(MetricJson.encodeToString(m)).append('\n');
            if (i == 10) {
                jsonl.append("{\"name\":\"9bad\",\"timestamp\":1,\"value\":1,\"labels\":{}}\n"); // line 12
            }
        }
        Path a = dir.resolve("a.jsonl");
        Files.writeString(a, jsonl, StandardCharsets.UTF_8);
        Path b = dir.resolve("b.csv");
        Files.writeString(b, """
                name,ts,value,labels
                cpu,2026-11-27T06:00:00Z,1.5,"{""host"": ""x""}"
                cpu,yesterday,2,"{""host"": ""x""}"
                cpu,2026-11-27T06:00:01Z,2.5,"{""host"": ""x""}"
                """, StandardCharsets.UTF_8);
        expected.add(Metric.of("cpu", Instant.parse("2026-11-27T06:00:00Z").toEpochMilli(), 1.5, Map.of("host", "x")));
        expected.add(Metric.of("cpu", Instant.parse("2026-11-27T06:00:01Z").toEpochMilli(), 2.5, Map.of("host", "x")));

        Replayer.Summary s;
        try (MetricPublisher publisher = publisher(kafka, topic)) {
            s = new Replayer(ReplayOptions.detect(), 0).run(List.of(a, b), publisher, (r, x, y, t) -> { });
        }
        assertThat(s.firstRejections()).extracting(Replayer.Rejection::file, Replayer.Rejection::line)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("a.jsonl", 12L),
                        org.assertj.core.groups.Tuple.tuple("b.csv", 3L));
        assertThat(s.read()).isEqualTo(2_001 + 3);
        assertThat(s.good()).isEqualTo(expected.size());
        assertThat(s.sent()).isEqualTo(expected.size());
        assertThat(s.rejected()).isEqualTo(2);

        List<ConsumerRecord<byte[], byte[]>> records = readAll(kafka, topic, expected.size());
        assertThat(records).hasSize(expected.size());
        Map<Metric, String> sources = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            Metric m = MetricJson.decode(r.value());
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(m.seriesKey());
            assertThat(r.timestamp()).isEqualTo(m.timestamp());
            Header h = r.headers().lastHeader(WireFormat.REPLAY_HEADER);
            assertThat(h).as("replay header").isNotNull();
            sources.put(m, new String(h.value(), StandardCharsets.UTF_8));
        }
        assertThat(sources.keySet()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(sources.get(expected.get(0))).isEqualTo("a.jsonl");
        assertThat(sources.get(expected.get(expected.size() - 1))).isEqualTo("b.csv");
    }

    @Test
    void shouldHoldTheRateAcrossManySmallFiles(TestKafka kafka, @TempDir Path dir) throws Exception {
        String topic = kafka.newTopic("replayer-rate", 1);
        List<Path> files = new ArrayList<>();
        int perFile = 5;
        for (int f = 0; f < 20; f++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < perFile; i++) {
                sb.append(MetricJson.encodeToString(new Metric("small", 1_600_000_000_000L + f * 100L + i, i,
                        Labels.EMPTY))).append('\n');
            }
            Path p = dir.resolve("f" + f + ".jsonl");
            Files.writeString(p, sb);
            files.add(p);
        }
        double rate = 200; // 100 records: at least 0.5 s at this rate
        Replayer.Summary s;
        try (MetricPublisher publisher = publisher(kafka, topic)) {
            s = new Replayer(ReplayOptions.detect(), rate).run(files, publisher, (r, x, y, t) -> { });
        }
        assertThat(s.sent()).isEqualTo(100);
        assertThat(s.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis((long) ((100 - perFile) / rate * 1000)));
    }
}
