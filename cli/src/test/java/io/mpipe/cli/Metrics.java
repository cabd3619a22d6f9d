package io.mpipe.cli;

import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.WireFormat;
import io.mpipe.testsupport.TestKafka;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Metrics put on a topic as a collector would, for the command tests. */
final class Metrics {
    private Metrics() {
    }

    /** Produces each metric in the wire format (idempotent, the producer's default), and waits for all. */
    static void produce(TestKafka kafka, String topic, List<Metric> metrics) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            metrics.forEach(m -> producer.send(WireFormat.record(topic, m)));
            producer.flush();
        }
    }
}
