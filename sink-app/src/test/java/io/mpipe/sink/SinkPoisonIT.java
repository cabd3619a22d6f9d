package io.mpipe.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricJson;
import io.mpipe.common.wire.WireFormat;
import io.mpipe.testsupport.TestDatabase;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.mpipe.testsupport.WithPostgres;
import io.prometheus.client.CollectorRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Records that PostgreSQL refuses, far-future and far-spread samples, and dead letters that cannot be sent. */
@WithKafka
@WithPostgres
class SinkPoisonIT {

    private static SinkConfig config(TestKafka kafka, TestDatabase db, String topic, String extraSink) {
        return SinkConfig.load(ConfigSource.parse(SinkFixtures.yaml(kafka.bootstrapServers(), db.jdbcUrl(), db.user(),
                topic, kafka.newGroup("sink"), extraSink), Map.of()));
    }

    @Test
    void shouldDeadLetterOnlyTheRowsPostgresRefusesAndCommitTheRestOfTheirBatch(TestKafka kafka, TestDatabase db)
            throws Exception {
        String topic = kafka.newTopic("sink-pg-refuses", 2);
        CollectorRegistry registry = new CollectorRegistry();
        try (SinkApp sink = SinkApp.start(config(kafka, db, topic, null), registry)) {
            // rules only this database has: no sample of value 666.25, no series named sink_forbidden
            db.execute("ALTER TABLE samples ADD CONSTRAINT no_666 CHECK (value <> 666.25)");
            db.execute("""
                    CREATE FUNCTION refuse_forbidden() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                      IF NEW.name = 'sink_forbidden' THEN RAISE EXCEPTION 'series % is forbidden here', NEW.key; END IF;
                      RETURN NEW;
                    END $$;
                    CREATE TRIGGER refuse_forbidden BEFORE INSERT ON series FOR EACH ROW EXECUTE FUNCTION refuse_forbidden();
                    """);
            List<Metric> good = SinkFixtures.metrics(6_000, 60, "sink_fine");
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            List<Metric> bad = new ArrayList<>();
            long now = System.currentTimeMillis();
            for (int i = 0; i < good.size(); i++) {
                records.add(WireFormat.record(topic, good.get(i)));
                if (i % 1_500 == 700) {
                    Metric devil = new Metric("sink_fine", now - i, 666.25, Labels.of("series", "s" + (i % 60)));
                    Metric forbidden = new Metric("sink_forbidden", now - i, i, Labels.of("n", Integer.toString(i)));
                    bad.add(devil);
                    bad.add(forbidden);
                    records.add(WireFormat.record(topic, devil));
                    records.add(WireFormat.record(topic, forbidden));
                }
            }
            SinkFixtures.produceRaw(kafka.bootstrapServers(), records);
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    db.queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets") == records.size());
            assertThat(SinkFixtures.stored(db)).containsExactlyInAnyOrderElementsOf(good);

            List<ConsumerRecord<byte[], byte[]>> dead = readAll(kafka, topic + ".dlq", bad.size());
            assertThat(dead).hasSize(bad.size());
            List<String> values = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> d : dead) {
                values.add(new String(d.value(), StandardCharsets.UTF_8));
                assertThat(header(d, WireFormat.DLQ_FIELD_HEADER)).isEqualTo("postgres");
                String reason = header(d, WireFormat.DLQ_REASON_HEADER);
                assertThat(reason).containsAnyOf("no_666", "is forbidden here");
                // as it was produced: the series key as the record key
                assertThat(new String(d.key(), StandardCharsets.UTF_8))
                        .isEqualTo(MetricJson.decode(d.value()).seriesKey());
            }
            assertThat(values).containsExactlyInAnyOrderElementsOf(
                    bad.stream().map(m -> new String(MetricJson.encode(m), StandardCharsets.UTF_8)).toList());
            await().atMost(Duration.ofSeconds(10)).until(() -> registry.getSampleValue("sink_dlq_records_total",
                    new String[] {"field"}, new String[] {"postgres"}) != null);
            assertThat(registry.getSampleValue("sink_dlq_records_total", new String[] {"field"},
                    new String[] {"postgres"})).isEqualTo(bad.size());
            assertThat(sink.loop().isRunning()).isTrue();
        }
    }

    @Test
    void shouldDeadLetterFutureSamplesAndCreateAtMostTheAllowedPartitionsPerBatch(TestKafka kafka, TestDatabase db)
            throws Exception {
        // a Kafka 4 broker refuses records more than an hour ahead by default (message.timestamp.after.max.ms)
        String topic = kafka.newTopic("sink-far", 1, Map.of("message.timestamp.after.max.ms",
                Long.toString(Long.MAX_VALUE)));
        long now = System.currentTimeMillis();
        long day = Duration.ofDays(1).toMillis();
        List<Metric> spread = new ArrayList<>();
        for (int i = 40; i >= 1; i--) {
            spread.add(new Metric("sink_spread", now - i * 7 * day, i, Labels.EMPTY)); // 40 weeks, 40 partitions
        }
        Metric ahead = new Metric("sink_spread", now + Duration.ofHours(2).toMillis(), -1, Labels.EMPTY);
        Metric soon = new Metric("sink_spread", now + Duration.ofMinutes(10).toMillis(), -2, Labels.EMPTY);
        List<Metric> all = new ArrayList<>(spread);
        all.add(ahead);
        all.add(soon);
        SinkFixtures.produce(kafka.bootstrapServers(), topic, all);
        CollectorRegistry registry = new CollectorRegistry();
        List<Integer> newPartitionsPerBatch = new CopyOnWriteArrayList<>();
        try (SinkApp sink = SinkApp.start(config(kafka, db, topic, "  retention: 3650d\n  partitions-ahead: 0\n"),
                registry, (b, r) -> newPartitionsPerBatch.add(b.newPartitions()))) {
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    db.queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets") == all.size());
        }
        List<Metric> expected = new ArrayList<>(spread);
        expected.add(soon);
        assertThat(SinkFixtures.stored(db)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(newPartitionsPerBatch).allMatch(n -> n <= 8);
        assertThat(newPartitionsPerBatch.stream().mapToInt(Integer::intValue).sum()).isGreaterThanOrEqualTo(40);
        assertThat(registry.getSampleValue("sink_records_deferred_total")).isPositive();
        List<ConsumerRecord<byte[], byte[]>> dead = readAll(kafka, topic + ".dlq", 1);
        assertThat(dead).hasSize(1);
        assertThat(header(dead.get(0), WireFormat.DLQ_REASON_HEADER)).startsWith("future:");
        assertThat(header(dead.get(0), WireFormat.DLQ_FIELD_HEADER)).isEqualTo("timestamp");
    }

    @Test
    void shouldCutADeadLetterTooLargeForTheTopicAndSayWhatWasCut(TestKafka kafka, TestDatabase db) throws Exception {
        String topic = kafka.newTopic("sink-huge", 1, Map.of("max.message.bytes", Integer.toString(8 << 20)));
        byte[] huge = new byte[3 << 20];
        new Random(7).nextBytes(huge); // incompressible: 3 MB on the wire too
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(8 << 20));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "x".getBytes(StandardCharsets.UTF_8), huge)).get();
            producer.send(WireFormat.record(topic, new Metric("sink_after_huge", System.currentTimeMillis(), 1,
                    Labels.EMPTY))).get();
        }
        try (SinkApp sink = SinkApp.start(config(kafka, db, topic, null), new CollectorRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> SinkFixtures.rows(db) == 1);
        }
        ConsumerRecord<byte[], byte[]> d = readAll(kafka, topic + ".dlq", 1).get(0);
        assertThat(d.value()).hasSize(256 * 1024).isEqualTo(java.util.Arrays.copyOf(huge, 256 * 1024));
        assertThat(header(d, WireFormat.DLQ_ORIGINAL_SIZE_HEADER)).isEqualTo(Integer.toString(huge.length));
        assertThat(header(d, WireFormat.DLQ_SHA256_HEADER))
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(huge)));
        assertThat(header(d, WireFormat.DLQ_FIELD_HEADER)).isEqualTo("value");
    }

    @Test
    void shouldKeepTheBatchAndSaySoWhenTheDeadLetterTopicRefusesItsRecords(TestKafka kafka, TestDatabase db)
            throws Exception {
        String topic = kafka.newTopic("sink-dlq-refuses", 1);
        String dlq = topic + ".dlq";
        kafka.createTopic(dlq, 1, Map.of("max.message.bytes", "100")); // no dead letter fits
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        records.add(WireFormat.record(topic, new Metric("sink_before", System.currentTimeMillis() - 5, 1, Labels.EMPTY)));
        records.add(new ProducerRecord<>(topic, "k".getBytes(StandardCharsets.UTF_8),
                "this is not a metric, and its dead letter is larger than 100 bytes".getBytes(StandardCharsets.UTF_8)));
        records.add(WireFormat.record(topic, new Metric("sink_after", System.currentTimeMillis(), 2, Labels.EMPTY)));
        SinkFixtures.produceRaw(kafka.bootstrapServers(), records);
        CollectorRegistry registry = new CollectorRegistry();
        try (SinkApp sink = SinkApp.start(config(kafka, db, topic, null), registry)) {
            HttpClient http = HttpClient.newHttpClient();
            URI health = URI.create(sink.httpBaseUrl() + "/health");
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(health).build(),
                        HttpResponse.BodyHandlers.ofString());
                return r.statusCode() == 503 && r.body().contains("refuses this sink's records");
            });
            // it waits between attempts (max-backoff 1s), it does not spin
            double before = registry.getSampleValue("sink_retries_total");
            Thread.sleep(3_000);
            assertThat(registry.getSampleValue("sink_retries_total") - before).isBetween(1.0, 6.0);
            assertThat(SinkFixtures.rows(db)).as("nothing of the batch is committed").isZero();

            try (var admin = kafka.admin()) {
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, dlq),
                        List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", "1048588"),
                                AlterConfigOp.OpType.SET)))).all().get();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> SinkFixtures.rows(db) == 2);
            await().atMost(Duration.ofSeconds(10)).until(() -> http.send(HttpRequest.newBuilder(health).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        }
        assertThat(readAll(kafka, dlq, 1)).hasSize(1);
    }

    static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Every record of {@code topic}, waiting until there are {@code n} (or 30 s). */
    static List<ConsumerRecord<byte[], byte[]>> readAll(TestKafka kafka, String topic, int n) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, kafka.newGroup("dlq-reader"));
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(8 << 20));
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < n && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(300)).forEach(out::add);
            }
            c.poll(Duration.ofMillis(300)).forEach(out::add); // and nothing more
        }
        return out;
    }
}
