package io.mpipe.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.WireFormat;
import io.mpipe.sink.SinkApp;
import io.mpipe.sink.SinkConfig;
import io.mpipe.testsupport.Promtool;
import io.mpipe.testsupport.TestDatabase;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.mpipe.testsupport.WithPostgres;
import io.prometheus.client.CollectorRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile producer: more than forty kinds of bad records mixed into 100,000 good ones across
 * every partition, against a sink and an exporter running as they run in production. Nothing
 * stops either: the sink's lag returns to 0, every good record is stored once, every bad one is
 * dead-lettered with a reason, the exporter refuses the same records, and its {@code /metrics}
 * passes {@code promtool check metrics} every time it is scraped meanwhile.
 */
@WithKafka
@WithPostgres
class HostileProducerIT {
    private static final int PARTITIONS = 6;
    private static final int GOOD = 100_000;
    private static final int SERIES = 1_000;

    /** One kind of bad record: its name, and the record (the topic filled in by {@link #record}). */
    private record Bad(String kind, byte[] key, byte[] value) {
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A bad value under the key a producer would give its series (or a junk key). */
    private static Bad bad(String kind, String value) {
        return new Bad(kind, utf8("x"), utf8(value));
    }

    private static String metric(String name, long ts, String value, String labels) {
        return "{\"name\":\"" + name + "\",\"timestamp\":" + ts + ",\"value\":" + value
                + (labels == null ? "" : ",\"labels\":" + labels) + "}";
    }

    static List<Bad> badRecords(long now) {
        List<Bad> out = new ArrayList<>();
        String ok = metric("hostile_x", now, "1", "{\"a\":\"b\"}");
        out.add(bad("not json", "hello, sink"));
        out.add(new Bad("empty value", utf8("x"), new byte[0]));
        out.add(new Bad("null value (tombstone)", utf8("x"), null));
        out.add(bad("json array", "[1,2,3]"));
        out.add(bad("json string", "\"up\""));
        out.add(bad("json number", "42"));
        out.add(bad("truncated json", ok.substring(0, ok.length() - 5)));
        out.add(bad("trailing garbage", ok + "}}"));
        out.add(bad("no name", "{\"timestamp\":" + now + ",\"value\":1}"));
        out.add(bad("no timestamp", "{\"name\":\"hostile_x\",\"value\":1}"));
        out.add(bad("no value", "{\"name\":\"hostile_x\",\"timestamp\":" + now + "}"));
        out.add(bad("name is a number", "{\"name\":7,\"timestamp\":" + now + ",\"value\":1}"));
        out.add(bad("empty name", metric("", now, "1", null)));
        out.add(bad("name with a dash", metric("hostile-x", now, "1", null)));
        out.add(bad("name starting with a digit", metric("9hostile", now, "1", null)));
        out.add(bad("name too long", metric("h".repeat(201), now, "1", null)));
        out.add(bad("NUL in the name", metric("hostile\\u0000x", now, "1", null)));
        out.add(bad("surrogate in the name", metric("hostile\\ud800x", now, "1", null)));
        out.add(bad("timestamp a string", "{\"name\":\"hostile_x\",\"timestamp\":\"now\",\"value\":1}"));
        out.add(bad("timestamp a float", metric("hostile_x", 0, "1", null).replace("\"timestamp\":0",
                "\"timestamp\":1.7e12")));
        out.add(bad("timestamp before 1970", metric("hostile_x", -1000, "1", null)));
        out.add(bad("timestamp in 2100", metric("hostile_x", 4_102_444_800_000L, "1", null)));
        out.add(bad("timestamp beyond a long", metric("hostile_x", 0, "1", null).replace("\"timestamp\":0",
                "\"timestamp\":123456789012345678901234567890")));
        out.add(bad("timestamp two hours ahead", metric("hostile_x", now + 7_200_000, "1", null)));
        out.add(bad("value an object", metric("hostile_x", now, "{\"v\":1}", null)));
        out.add(bad("value a word", metric("hostile_x", now, "\"lots\"", null)));
        out.add(bad("value a boolean", metric("hostile_x", now, "true", null)));
        out.add(bad("value beyond a double", metric("hostile_x", now, "1e400", null)));
        out.add(bad("value with 100 digits", metric("hostile_x", now, "1".repeat(100), null)));
        out.add(bad("value NaN unquoted", metric("hostile_x", now, "NaN", null)));
        out.add(bad("labels an array", metric("hostile_x", now, "1", "[\"a\"]")));
        out.add(bad("label value a number", metric("hostile_x", now, "1", "{\"a\":1}")));
        out.add(bad("label value null", metric("hostile_x", now, "1", "{\"a\":null}")));
        out.add(bad("label name with a dash", metric("hostile_x", now, "1", "{\"bad-label\":\"v\"}")));
        out.add(bad("reserved label name", metric("hostile_x", now, "1", "{\"__name__\":\"v\"}")));
        StringBuilder many = new StringBuilder("{");
        for (int i = 0; i < 33; i++) {
            many.append(i == 0 ? "" : ",").append("\"l").append(i).append("\":\"v\"");
        }
        out.add(bad("33 labels", metric("hostile_x", now, "1", many.append('}').toString())));
        out.add(bad("label value too long", metric("hostile_x", now, "1", "{\"a\":\"" + "v".repeat(1025) + "\"}")));
        out.add(bad("series key too long", metric("hostile_x", now, "1", "{\"a\":\"" + "é".repeat(1000)
                + "\",\"b\":\"" + "é".repeat(1000) + "\"}")));
        out.add(bad("name twice", "{\"name\":\"hostile_x\",\"name\":\"hostile_y\",\"timestamp\":" + now
                + ",\"value\":1}"));
        out.add(bad("label twice", metric("hostile_x", now, "1", "{\"a\":\"1\",\"a\":\"2\"}")));
        out.add(bad("NUL in a label value", metric("hostile_x", now, "1", "{\"a\":\"x\\u0000y\"}")));
        out.add(bad("lone high surrogate in a label value", metric("hostile_x", now, "1", "{\"a\":\"x\\ud800\"}")));
        out.add(bad("lone low surrogate in a label value", metric("hostile_x", now, "1", "{\"a\":\"\\udc00\"}")));
        out.add(bad("deep nesting", "{\"deep\":" + "[".repeat(5_000) + "]".repeat(5_000) + ","
                + ok.substring(1)));
        byte[] invalidUtf8 = utf8(metric("hostile_x", now, "1", "{\"a\":\"XX\"}"));
        for (int i = 0; i < invalidUtf8.length; i++) {
            if (invalidUtf8[i] == 'X') {
                invalidUtf8[i] = (byte) 0xFF;
            }
        }
        out.add(new Bad("invalid UTF-8", utf8("x"), invalidUtf8));
        out.add(bad("a megabyte of spaces", " ".repeat(1 << 20) + ok));
        byte[] noise = new byte[3 << 20];
        new Random(11).nextBytes(noise);
        out.add(new Bad("3 MB of noise, incompressible", utf8("x"), noise));
        Metric valid = new Metric("hostile_valid", now, 1, Labels.of("a", "b"));
        byte[] validValue = io.mpipe.common.wire.MetricJson.encode(valid);
        out.add(new Bad("valid value, empty key", new byte[0], validValue));
        out.add(new Bad("valid value, no key", null, validValue));
        out.add(new Bad("valid value, another series' key", utf8("hostile_valid{a=\"c\"}"), validValue));
        out.add(new Bad("valid value, its key in another label order", utf8("hostile_valid{a=\"b\",z=\"\"}"),
                validValue));
        return out;
    }

    private static SinkConfig sinkConfig(TestKafka kafka, TestDatabase db, String topic) {
        return SinkConfig.load(ConfigSource.parse("""
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                  dlq-topic: %s.dlq
                postgres:
                  url: %s
                  user: %s
                sink:
                  group: %s
                  http:
                    port: 0
                """.formatted(kafka.bootstrapServers(), topic, topic, db.jdbcUrl(), db.user(),
                kafka.newGroup("hostile-sink")), Map.of()));
    }

    @Test
    void shouldStoreEveryGoodRecordOnceAndDeadLetterEveryBadOneWithoutStopping(TestKafka kafka, TestDatabase db,
            @TempDir Path dir) throws Exception {
        Path promtool = Promtool.find();
        String topic = kafka.newTopic("hostile", PARTITIONS, Map.of("max.message.bytes", Integer.toString(8 << 20),
                "message.timestamp.after.max.ms", Long.toString(Long.MAX_VALUE)));
        long now = System.currentTimeMillis();
        List<Bad> bad = badRecords(now);
        assertThat(bad.size()).as("kinds of bad records").isGreaterThanOrEqualTo(40);

        CollectorRegistry sinkRegistry = new CollectorRegistry();
        CollectorRegistry exporterRegistry = new CollectorRegistry();
        try (SinkApp sink = SinkApp.start(sinkConfig(kafka, db, topic), sinkRegistry);
                ExporterApp exporter = ExporterApp.start(ExporterFixtures.config(kafka.bootstrapServers(), topic,
                        kafka.newGroup("hostile-exporter"), dir.resolve("state"), null, Map.of()), exporterRegistry)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!exporter.isReady() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(exporter.isReady()).isTrue();

            // scrape /metrics and check it with promtool the whole time, as Prometheus would
            AtomicBoolean producing = new AtomicBoolean(true);
            AtomicInteger scrapes = new AtomicInteger();
            List<String> scrapeProblems = new CopyOnWriteArrayList<>();
            Thread scraper = new Thread(() -> {
                while (producing.get()) {
                    try {
                        String text = ExporterFixtures.get(exporter.httpBaseUrl() + "/metrics").body();
                        Path f = Files.writeString(dir.resolve("scrape.prom"), text);
                        String problem = Promtool.check(promtool, f);
                        if (problem != null) {
                            scrapeProblems.add(problem);
                        }
                        scrapes.incrementAndGet();
                        Thread.sleep(500);
                    } catch (Exception e) {
                        scrapeProblems.add(e.toString());
                    }
                }
            }, "hostile-scraper");
            scraper.start();

            Map<String, RecordMetadata> badAt = new LinkedHashMap<>();
            List<Metric> good = new ArrayList<>(GOOD);
            long t0;
            try (KafkaProducer<byte[], byte[]> p = producer(kafka)) {
                List<Future<RecordMetadata>> badSent = new ArrayList<>();
                int perSeries = GOOD / SERIES;
                long start = now - perSeries * 1_000L;
                for (int i = 0; i < GOOD; i++) {
                    int s = i % SERIES;
                    Metric m = new Metric("hostile_good_" + (s % 10), start + (i / SERIES) * 1_000L + s, i * 0.25,
                            Labels.of("series", "s" + s, "quote", "a\"b\\c", "unicode", "Zürich ✓"));
                    good.add(m);
                    p.send(WireFormat.record(topic, m));
                    if (i % (GOOD / bad.size()) == 17 && badSent.size() < bad.size()) {
                        Bad b = bad.get(badSent.size());
                        badSent.add(p.send(new ProducerRecord<>(topic, badSent.size() % PARTITIONS, null, b.key(),
                                b.value())));
                    }
                }
                while (badSent.size() < bad.size()) {
                    Bad b = bad.get(badSent.size());
                    badSent.add(p.send(new ProducerRecord<>(topic, badSent.size() % PARTITIONS, null, b.key(), b.value())));
                }
                p.flush();
                t0 = System.nanoTime();
                for (int i = 0; i < bad.size(); i++) {
                    badAt.put(bad.get(i).kind(), badSent.get(i).get(30, TimeUnit.SECONDS));
                }
            }
            long total = kafka.recordsIn(topic, PARTITIONS);
            assertThat(total).isEqualTo(GOOD + bad.size());

            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (db.queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets") < total
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            double secondsToLagZero = (System.nanoTime() - t0) / 1e9;
            assertThat(db.queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets")).isEqualTo(total);
            Thread.sleep(1_500); // a few more scrapes after the last records
            producing.set(false);
            scraper.join(10_000);

            // every good record once, as it was sent
            assertThat(db.queryLong("SELECT count(*) FROM samples")).isEqualTo(GOOD);
            assertThat(stored(db)).isEqualTo(asText(good));
            // every bad one dead-lettered, with a reason, at its own offset
            Map<String, Map<String, String>> letters = deadLetters(kafka, topic + ".dlq", bad.size());
            List<String> missing = new ArrayList<>();
            badAt.forEach((kind, md) -> {
                Map<String, String> h = letters.get(md.partition() + "@" + md.offset());
                if (h == null || h.getOrDefault(WireFormat.DLQ_REASON_HEADER, "").isBlank()) {
                    missing.add(kind);
                }
            });
            assertThat(missing).as("bad records without a dead letter").isEmpty();
            assertThat(letters).hasSize(bad.size());
            // the exporter refused the same records, and served valid /metrics throughout
            assertThat(exporterRegistry.getSampleValue("exporter_records_invalid_total")).isEqualTo(bad.size());
            assertThat(scrapeProblems).as("scrapes promtool refused").isEmpty();
            assertThat(scrapes.get()).isGreaterThan(2);
            // neither stopped
            assertThat(sink.loop().isRunning()).isTrue();
            assertThat(sink.loop().failure()).isEmpty();
            assertThat(exporter.isReady()).isTrue();
            System.out.printf("hostile producer: %d kinds of bad records, %d good stored once, %d dead-lettered,"
                    + " %.1f s from the last record sent to lag 0, %d scrapes checked by promtool%n", bad.size(), GOOD,
                    letters.size(), secondsToLagZero, scrapes.get());
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(TestKafka kafka) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(8 << 20));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(64L << 20));
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Each sample as text (name, ts, value bits, labels), to compare sets exactly. */
    private static Set<String> asText(List<Metric> ms) {
        Set<String> out = new HashSet<>();
        for (Metric m : ms) {
            out.add(m.name() + "|" + m.timestamp() + "|" + Double.doubleToLongBits(m.value()) + "|"
                    + new java.util.TreeMap<>(m.labels()));
        }
        return out;
    }

    private static Set<String> stored(TestDatabase db) throws Exception {
        List<Metric> out = new ArrayList<>();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.setFetchSize(10_000);
            try (ResultSet rs = st.executeQuery("SELECT name, ts, value, labels::text FROM metrics")) {
                while (rs.next()) {
                    Map<String, String> labels = json.readValue(rs.getString(4),
                            new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() { });
                    out.add(Metric.of(rs.getString(1), rs.getTimestamp(2).getTime(), rs.getDouble(3), labels));
                }
            }
        }
        return asText(out);
    }

    /** "partition@offset" of the source record to the dead letter's headers. */
    private static Map<String, Map<String, String>> deadLetters(TestKafka kafka, String dlq, int n) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, kafka.newGroup("dlq-reader"));
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(4 << 20));
        Map<String, Map<String, String>> out = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(dlq));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < n && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) {
                    Map<String, String> h = new HashMap<>();
                    for (Header header : r.headers()) {
                        h.put(header.key(), header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8));
                    }
                    out.put(h.get(WireFormat.DLQ_PARTITION_HEADER) + "@" + h.get(WireFormat.DLQ_OFFSET_HEADER), h);
                }
            }
        }
        return out;
    }
}
