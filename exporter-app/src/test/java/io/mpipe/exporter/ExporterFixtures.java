package io.mpipe.exporter;

import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.WireFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Shared pieces of the exporter's integration tests. */
final class ExporterFixtures {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    private ExporterFixtures() {
    }

    static ExporterConfig config(String bootstrap, String topic, String appId, Path stateDir, String extra,
            Map<String, String> env) {
        String yaml = """
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                  topic-partitions: 4
                exporter:
                  application-id: %s
                  state-dir: %s
                  expiry-interval: 1s
                  http:
                    port: 0
                %s
                """.formatted(bootstrap, topic, appId, stateDir, extra == null ? "" : extra);
        return ExporterConfig.load(ConfigSource.parse(yaml, env));
    }

    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(128L << 20));
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    static void produce(String bootstrap, String topic, List<Metric> metrics) {
        try (KafkaProducer<byte[], byte[]> p = producer(bootstrap)) {
            for (Metric m : metrics) {
                p.send(WireFormat.record(topic, m));
            }
            p.flush();
        }
    }

    static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
