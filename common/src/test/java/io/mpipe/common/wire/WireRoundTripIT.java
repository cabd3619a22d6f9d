package io.mpipe.common.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.RandomMetrics;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

@WithKafka
class WireRoundTripIT {

    @Test
    void shouldReadBackEveryOneOfTenThousandRecordsThroughARealBroker(TestKafka kafka) {
        String topic = kafka.newTopic("wire", 4);
        Random r = new Random(11);
        List<Metric> sent = new ArrayList<>();
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 10_000; i++) {
                Metric m = RandomMetrics.next(r);
                // the broker refuses timestamps more than an hour ahead of now
                m = new Metric(m.name(), Math.min(m.timestamp(), System.currentTimeMillis()), m.value(), m.labels());
                sent.add(m);
                producer.send(WireFormat.record(topic, m));
            }
            producer.flush();
        }

        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, kafka.newGroup("wire"));
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, List<Metric>> bySeries = new HashMap<>();
        int received = 0;
        try (KafkaConsumer<String, Metric> consumer = new KafkaConsumer<>(cp, new StringDeserializer(),
                new MetricSerde.MetricDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (received < sent.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, Metric> rec : consumer.poll(Duration.ofMillis(500))) {
                    Metric m = rec.value();
                    assertThat(rec.key()).isEqualTo(m.seriesKey());
                    assertThat(rec.timestamp()).isEqualTo(m.timestamp());
                    bySeries.computeIfAbsent(rec.key(), k -> new ArrayList<>()).add(m);
                    received++;
                }
            }
        }
        assertThat(received).isEqualTo(sent.size());
        Map<String, List<Metric>> expected = new HashMap<>();
        for (Metric m : sent) {
            expected.computeIfAbsent(m.seriesKey(), k -> new ArrayList<>()).add(m);
        }
        // per series, records arrive in the order they were sent: the key picks the partition
        assertThat(bySeries).isEqualTo(expected);
        assertThat(new String(WireFormat.record(topic, sent.get(0)).key(), StandardCharsets.UTF_8))
                .isEqualTo(sent.get(0).seriesKey());
    }
}
