package io.mpipe.sink;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.WireFormat;
import io.mpipe.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Shared pieces of the sink's integration tests. */
final class SinkFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SinkFixtures() {
    }

    /** YAML config for a sink on the test broker and database. */
    static String yaml(String bootstrap, String jdbcUrl, String user, String topic, String group, String extraSink) {
        return """
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                  dlq-topic: %s.dlq
                  topic-partitions: 4
                postgres:
                  url: %s
                  user: %s
                  connect-timeout: 2s
                sink:
                  group: %s
                  http:
                    port: 0
                  batch:
                    max-rows: 5000
                    max-age: 50ms
                  max-backoff: 1s
                  shutdown-timeout: 10s
                %s
                """.formatted(bootstrap, topic, topic, jdbcUrl, user, group, extraSink == null ? "" : extraSink);
    }

    static SinkConfig config(String bootstrap, TestDatabase db, String topic, String group) {
        return SinkConfig.load(ConfigSource.parse(yaml(bootstrap, db.jdbcUrl(), db.user(), topic, group, null),
                Map.of()));
    }

    /** {@code n} samples over {@code series} series, one a second per series, ending about now. */
    static List<Metric> metrics(int n, int series, String name) {
        List<Metric> out = new ArrayList<>(n);
        long perSeries = (n + series - 1) / series;
        long start = System.currentTimeMillis() - perSeries * 1000L - 60_000L;
        for (int i = 0; i < n; i++) {
            int s = i % series;
            long ts = start + (i / series) * 1000L;
            out.add(new Metric(name, ts, i * 0.5 - 7,
                    Labels.of("series", "s" + s, "host", "h" + (s % 7), "quote", "a\"b\\c")));
        }
        return out;
    }

    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
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

    static void produceRaw(String bootstrap, List<ProducerRecord<byte[], byte[]>> records) {
        try (KafkaProducer<byte[], byte[]> p = producer(bootstrap)) {
            for (ProducerRecord<byte[], byte[]> r : records) {
                p.send(r);
            }
            p.flush();
        }
    }

    static long rows(TestDatabase db) {
        return db.queryLong("SELECT count(*) FROM metrics");
    }

    static void awaitRows(TestDatabase db, long expected, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> rows(db) >= expected);
    }

    /** Every stored sample as a metric. */
    static Set<Metric> stored(TestDatabase db) throws SQLException {
        Set<Metric> out = new HashSet<>();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.setFetchSize(10_000);
            c.setAutoCommit(false);
            try (ResultSet rs = st.executeQuery("SELECT name, ts, value, labels::text FROM metrics")) {
                while (rs.next()) {
                    Map<String, String> labels;
                    try {
                        labels = JSON.readValue(rs.getString(4), new TypeReference<Map<String, String>>() { });
                    } catch (Exception e) {
                        throw new SQLException(e);
                    }
                    out.add(Metric.of(rs.getString(1), rs.getTimestamp(2).getTime(), rs.getDouble(3), labels));
                }
            }
        }
        return out;
    }
}
