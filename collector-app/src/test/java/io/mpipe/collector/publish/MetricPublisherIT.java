package io.mpipe.collector.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.prometheus.client.CollectorRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

@WithKafka
class MetricPublisherIT {

    /**
     * The collector that started while the broker was away creates its topic later, and must not
     * send to it before its partitions are served: until then what it takes waits in the buffer.
     */
    @Test
    void shouldHoldEveryRecordUntilOpenedThenSendThemAll(TestKafka kafka) throws Exception {
        String topic = kafka.newTopic("held", 2);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        List<Metric> metrics = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (int i = 0; i < 100; i++) {
            Metric m = new Metric("held_total", now + i, i, Labels.of("series", Integer.toString(i % 7)));
            metrics.add(m);
            keys.add(m.seriesKey());
        }
        try (MetricPublisher publisher = new MetricPublisher(new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer()), topic, 1_000, new CollectorMetrics(new CollectorRegistry()), false)) {
            assertThat(publisher.offer(metrics, keys)).isEqualTo(100);
            assertThat(publisher.flush(Duration.ofSeconds(2))).as("held, so not flushed").isFalse();
            assertThat(publisher.acknowledged()).isZero();
            assertThat(publisher.buffered()).isEqualTo(100);
            assertThat(kafka.recordsIn(topic, 2)).isZero();

            publisher.open();
            assertThat(publisher.flush(Duration.ofSeconds(30))).isTrue();
            assertThat(publisher.acknowledged()).isEqualTo(100);
            assertThat(publisher.failed()).isZero();
            assertThat(kafka.recordsIn(topic, 2)).isEqualTo(100);
        }
    }
}
