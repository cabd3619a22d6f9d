package io.mpipe.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.WireFormat;
import io.mpipe.testsupport.TestDatabase;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.mpipe.testsupport.WithPostgres;
import io.prometheus.client.CollectorRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

@WithKafka
@WithPostgres
class SinkIT {

    @Test
    void shouldStoreExactlyOneHundredThousandRecordsWithTheirValuesAndLabels(TestKafka kafka, TestDatabase db)
            throws Exception {
        String topic = kafka.newTopic("sink-100k", 4);
        List<Metric> sent = SinkFixtures.metrics(100_000, 1_000, "sink_test_value");
        SinkFixtures.produce(kafka.bootstrapServers(), topic, sent);
        CollectorRegistry registry = new CollectorRegistry();
        try (SinkApp sink = SinkApp.start(SinkFixtures.config(kafka.bootstrapServers(), db, topic,
                kafka.newGroup("sink")), registry)) {
            SinkFixtures.awaitRows(db, 100_000, Duration.ofSeconds(90));
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    registry.getSampleValue("sink_rows_written_total") == 100_000.0);
        }
        assertThat(SinkFixtures.rows(db)).isEqualTo(100_000);
        assertThat(SinkFixtures.stored(db)).isEqualTo(new HashSet<>(sent));
        assertThat(db.queryLong("SELECT count(*) FROM series")).isEqualTo(1_000);
        assertThat(db.queryLong("SELECT sum(next_offset) FROM sink_offsets")).isEqualTo(100_000);
        assertThat(registry.getSampleValue("sink_duplicate_rows_total")).isZero();
        assertThat(registry.getSampleValue("sink_series_cache_misses_total")).isEqualTo(1_000.0);
    }

    @Test
    void shouldAddNothingWhenTheSameRecordsArriveAgain(TestKafka kafka, TestDatabase db) {
        String topic = kafka.newTopic("sink-replay", 4);
        List<Metric> sent = SinkFixtures.metrics(50_000, 500, "sink_replayed");
        CollectorRegistry registry = new CollectorRegistry();
        try (SinkApp sink = SinkApp.start(SinkFixtures.config(kafka.bootstrapServers(), db, topic,
                kafka.newGroup("sink")), registry)) {
            SinkFixtures.produce(kafka.bootstrapServers(), topic, sent);
            SinkFixtures.awaitRows(db, 50_000, Duration.ofSeconds(60));
            SinkFixtures.produce(kafka.bootstrapServers(), topic, sent);
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    db.queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets") == 100_000);
            // the counter moves when the loop collects the commit, just after the database has it
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    registry.getSampleValue("sink_duplicate_rows_total") == 50_000.0);
            assertThat(registry.getSampleValue("sink_rows_written_total")).isEqualTo(50_000.0);
        }
        assertThat(SinkFixtures.rows(db)).isEqualTo(50_000);
    }

    @Test
    void shouldSendPoisonRecordsToTheDeadLetterTopicAndStoreEveryGoodOne(TestKafka kafka, TestDatabase db) {
        String topic = kafka.newTopic("sink-poison", 2);
        String dlq = topic + ".dlq";
        List<Metric> good = SinkFixtures.metrics(1_000, 10, "sink_good");
        Map<String, String> poison = new HashMap<>();
        poison.put("not json at all", "json");
        poison.put("{\"name\":\"x\",\"timestamp\":\"yesterday\",\"value\":1}", "timestamp");
        poison.put("{\"name\":\"x\",\"timestamp\":1,\"value\":{}}", "value");
        poison.put("{\"name\":\"bad-name\",\"timestamp\":1,\"value\":1}", "name");
        StringBuilder big = new StringBuilder("{\"name\":\"x\",\"timestamp\":1,\"value\":1,\"labels\":{");
        for (int i = 0; i < 40; i++) {
            big.append(i == 0 ? "" : ",").append("\"l").append(i).append("\":\"v\"");
        }
        poison.put(big.append("}}").toString(), "labels");
        StringBuilder longKey = new StringBuilder("{\"name\":\"x\",\"timestamp\":1,\"value\":1,\"labels\":{");
        for (int i = 0; i < 3; i++) {
            longKey.append(i == 0 ? "" : ",").append("\"l").append(i).append("\":\"").append("é".repeat(1000)).append('"');
        }
        poison.put(longKey.append("}}").toString(), "labels");

        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<String> poisonValues = new ArrayList<>(poison.keySet());
        for (int i = 0; i < good.size(); i++) {
            records.add(WireFormat.record(topic, good.get(i)));
            if (i % 150 == 0 && i / 150 < poisonValues.size()) {
                records.add(new ProducerRecord<>(topic, (i / 150) % 2, null,
                        poisonValues.get(i / 150).getBytes(StandardCharsets.UTF_8)));
            }
        }
        records.add(new ProducerRecord<>(topic, 0, "tombstone".getBytes(StandardCharsets.UTF_8), null));
        SinkFixtures.produceRaw(kafka.bootstrapServers(), records);

        CollectorRegistry registry = new CollectorRegistry();
        try (SinkApp sink = SinkApp.start(SinkFixtures.config(kafka.bootstrapServers(), db, topic,
                kafka.newGroup("sink")), registry)) {
            SinkFixtures.awaitRows(db, 1_000, Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    db.queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets") == records.size());
        }
        assertThat(SinkFixtures.rows(db)).isEqualTo(1_000);

        Map<String, Map<String, String>> dead = readDlq(kafka, dlq, poison.size() + 1);
        assertThat(dead).hasSize(poison.size() + 1);
        poison.forEach((value, field) -> {
            Map<String, String> h = dead.get(value);
            assertThat(h).as("dead letter for %s", value.substring(0, Math.min(40, value.length()))).isNotNull();
            assertThat(h.get(WireFormat.DLQ_FIELD_HEADER)).startsWith(field);
            assertThat(h.get(WireFormat.DLQ_REASON_HEADER)).isNotBlank();
            assertThat(h.get(WireFormat.DLQ_TOPIC_HEADER)).isEqualTo(topic);
            assertThat(h).containsKeys(WireFormat.DLQ_PARTITION_HEADER, WireFormat.DLQ_OFFSET_HEADER);
        });
        assertThat(dead.get("")).containsEntry(WireFormat.DLQ_REASON_HEADER, "record has no value (null)");
        assertThat(registry.getSampleValue("sink_dlq_records_total", new String[] {"field"},
                new String[] {"labels"})).isEqualTo(2.0);
    }

    /** Value (empty for a null value) to headers, for {@code n} records of the DLQ topic. */
    private static Map<String, Map<String, String>> readDlq(TestKafka kafka, String dlq, int n) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, kafka.newGroup("dlq-reader"));
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, Map<String, String>> out = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(dlq));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < n && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    Map<String, String> h = new HashMap<>();
                    for (Header header : r.headers()) {
                        h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
                    }
                    out.put(r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8), h);
                }
            }
        }
        return out;
    }

    @Test
    void shouldShareThePartitionsBetweenTwoInstancesOfOneGroupAndStoreTheExactTotal(TestKafka kafka,
            TestDatabase db) throws Exception {
        String topic = kafka.newTopic("sink-two", 4);
        String group = kafka.newGroup("sink");
        List<Metric> first = SinkFixtures.metrics(40_000, 400, "sink_shared_a");
        List<Metric> second = SinkFixtures.metrics(40_000, 400, "sink_shared_b");
        CollectorRegistry r1 = new CollectorRegistry();
        CollectorRegistry r2 = new CollectorRegistry();
        try (SinkApp a = SinkApp.start(SinkFixtures.config(kafka.bootstrapServers(), db, topic, group), r1)) {
            SinkFixtures.produce(kafka.bootstrapServers(), topic, first);
            try (SinkApp b = SinkApp.start(SinkFixtures.config(kafka.bootstrapServers(), db, topic, group), r2)) {
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        a.loop().assignedPartitions() == 2 && b.loop().assignedPartitions() == 2);
                SinkFixtures.produce(kafka.bootstrapServers(), topic, second);
                SinkFixtures.awaitRows(db, 80_000, Duration.ofSeconds(90));
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        db.queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets") == 80_000);
                // both took part: each wrote rows
                assertThat(r1.getSampleValue("sink_rows_written_total")).isPositive();
                assertThat(r2.getSampleValue("sink_rows_written_total")).isPositive();
            }
        }
        assertThat(SinkFixtures.rows(db)).isEqualTo(80_000);
        Set<Metric> expected = new HashSet<>(first);
        expected.addAll(second);
        assertThat(SinkFixtures.stored(db)).isEqualTo(expected);
    }

    @Test
    void shouldSkipAndCountSamplesOlderThanRetention(TestKafka kafka, TestDatabase db) {
        String topic = kafka.newTopic("sink-retention", 1);
        long now = System.currentTimeMillis();
        List<Metric> ms = List.of(
                new Metric("sink_age", now - Duration.ofDays(40).toMillis(), 1, Labels.EMPTY),
                new Metric("sink_age", now - Duration.ofDays(2).toMillis(), 2, Labels.EMPTY),
                new Metric("sink_age", now - 1000, 3, Labels.EMPTY));
        SinkFixtures.produce(kafka.bootstrapServers(), topic, ms);
        CollectorRegistry registry = new CollectorRegistry();
        ch.qos.logback.classic.Logger loopLog =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(SinkLoop.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        loopLog.addAppender(logged);
        try (SinkApp sink = SinkApp.start(SinkFixtures.config(kafka.bootstrapServers(), db, topic,
                kafka.newGroup("sink")), registry)) {
            SinkFixtures.awaitRows(db, 2, Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    db.queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets") == 3);
        } finally {
            loopLog.detachAppender(logged);
        }
        assertThat(SinkFixtures.rows(db)).isEqualTo(2);
        // said in the log, too: a replay of old files is otherwise stored nowhere without a word
        assertThat(logged.list).filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                .extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .filteredOn(m -> m.startsWith("sink: skipped"))
                .singleElement().asString()
                .startsWith("sink: skipped 1 sample(s) older than sink.retention (30d), the newest of them from "
                        + java.time.Instant.ofEpochMilli(now - Duration.ofDays(40).toMillis()))
                .contains("raise sink.retention");
        assertThat(registry.getSampleValue("sink_samples_skipped_total", new String[] {"reason"},
                new String[] {"retention"})).isEqualTo(1.0);
        // the replayed two-day-old sample got a partition of its own, created on demand
        assertThat(db.queryLong("SELECT count(*) FROM sample_partitions")).isGreaterThanOrEqualTo(2);
    }

    /**
     * The sink copies each batch's rows straight into the time partitions that hold them, one COPY
     * per partition: a batch across seven hourly partitions puts every row in its own hour's, once,
     * and the same records again (the de-duplicating path, through the staging table) add nothing.
     */
    @Test
    void shouldPutTheRowsOfABatchAcrossPartitionsEachInItsOwn(TestKafka kafka, TestDatabase db) throws Exception {
        String topic = kafka.newTopic("sink-hours", 1);
        long hour = Duration.ofHours(1).toMillis();
        long first = (System.currentTimeMillis() / hour - 6) * hour;
        List<Metric> sent = new ArrayList<>();
        Map<String, Long> perPartition = new HashMap<>();
        for (long ts = first; ts < first + 6 * hour + 30 * 60_000L; ts += 60_000L) {
            for (int s = 0; s < 3; s++) {
                sent.add(new Metric("sink_hours", ts, s + ts / 60_000L % 100, Labels.of("series", "s" + s)));
                String partition = "samples_" + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd_HH")
                        .withZone(java.time.ZoneOffset.UTC).format(java.time.Instant.ofEpochMilli(ts));
                perPartition.merge(partition, 1L, Long::sum);
            }
        }
        assertThat(perPartition).hasSize(7);
        CollectorRegistry registry = new CollectorRegistry();
        SinkConfig config = SinkConfig.load(io.mpipe.common.config.ConfigSource.parse(SinkFixtures.yaml(
                kafka.bootstrapServers(), db.jdbcUrl(), db.user(), topic, kafka.newGroup("sink"),
                "  partition-interval: 1h\n"), Map.of()));
        SinkFixtures.produce(kafka.bootstrapServers(), topic, sent); // waiting: the first batches take several hours each
        try (SinkApp sink = SinkApp.start(config, registry)) {
            SinkFixtures.awaitRows(db, sent.size(), Duration.ofSeconds(60));
            SinkFixtures.produce(kafka.bootstrapServers(), topic, sent);
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    db.queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets") == 2L * sent.size());
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    registry.getSampleValue("sink_duplicate_rows_total") == sent.size());
        }
        assertThat(SinkFixtures.stored(db)).isEqualTo(new HashSet<>(sent));
        for (Map.Entry<String, Long> e : perPartition.entrySet()) {
            assertThat(db.queryLong("SELECT count(*) FROM " + e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
        }
    }
    /**
     * A backlog whose partitions carry different rates: a fetch takes about as many bytes of each,
     * so the busiest partition falls behind the others in time. The sink pauses the partitions
     * that run ahead and cuts each batch at a time all have reached, so it commits the rows in
     * time order, and still every row exactly once.
     */
    @Test
    void shouldCommitABacklogOfUnevenPartitionsInTimeOrder(TestKafka kafka, TestDatabase db) throws Exception {
        String topic = kafka.newTopic("sink-uneven", 3);
        int[] seriesPerTick = {12, 3, 1};
        Set<Metric> sent = producePerPartition(kafka, topic, 3, 4_000, (p, t) -> seriesPerTick[p]);
        CollectorRegistry registry = new CollectorRegistry();
        SinkConfig config = smallFetches(kafka, db, topic, "    max.poll.records: \"1000\"\n");
        try (SinkApp sink = SinkApp.start(config, registry)) {
            SinkFixtures.awaitRows(db, sent.size(), Duration.ofSeconds(90));
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    registry.getSampleValue("sink_rows_written_total") == sent.size());
        }
        assertThat(SinkFixtures.stored(db)).isEqualTo(sent);
        assertThat(db.queryLong("SELECT sum(next_offset) FROM sink_offsets")).isEqualTo(sent.size());
        double outOfOrder = registry.getSampleValue("sink_rows_out_of_order_total");
        // without the alignment about a fifth of the rows; with it, about the last poll's worth, read
        // once too little waited to align for
        assertThat(outOfOrder).as("rows committed after a newer row").isLessThan(0.02 * sent.size());
    }

    /**
     * A burst into partitions the sink was keeping up with, fetched whole: the consumer hands out
     * one partition's fetch of thousands of records before the next one's, and until then knows
     * nothing waits in the others. The sink pauses the partition that runs ahead anyway, so the
     * others' records come up, and commits the burst in time order.
     */
    @Test
    void shouldCommitABurstInTimeOrderWhenOnePartitionsFetchComesUpFirst(TestKafka kafka, TestDatabase db)
            throws Exception {
        String topic = kafka.newTopic("sink-burst", 3);
        Set<Metric> sent = new HashSet<>();
        CollectorRegistry registry = new CollectorRegistry();
        SinkConfig config = SinkConfig.load(io.mpipe.common.config.ConfigSource.parse(SinkFixtures.yaml(
                kafka.bootstrapServers(), db.jdbcUrl(), db.user(), topic, kafka.newGroup("sink"), """
                  consumer-properties:
                    max.poll.records: "200"
                """), Map.of()));
        // one producer for both sends: the burst must follow the first records within the second
        // in which the sink counts a partition it just read as active, not after a producer's start-up
        try (SinkApp sink = SinkApp.start(config, registry);
                KafkaProducer<byte[], byte[]> producer = SinkFixtures.producer(kafka.bootstrapServers())) {
            // every partition read once, recently
            long start = System.currentTimeMillis() - 90_000L;
            sent.addAll(producePerPartition(producer, topic, 3, 1, (p, t) -> 4, start));
            // seen at once: a partition not read for a second no longer counts as active
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> SinkFixtures.rows(db) >= sent.size());
            double before = registry.getSampleValue("sink_rows_out_of_order_total");
            sent.addAll(producePerPartition(producer, topic, 3, 2_000, (p, t) -> 4, start + 10));
            SinkFixtures.awaitRows(db, sent.size(), Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    registry.getSampleValue("sink_rows_written_total") == sent.size());
            double outOfOrder = registry.getSampleValue("sink_rows_out_of_order_total") - before;
            // without the pausing, the two partitions whose fetches came up later: about two thirds
            assertThat(outOfOrder).as("rows committed after a newer row").isLessThan(0.02 * (sent.size() - 12));
        }
        assertThat(SinkFixtures.stored(db)).isEqualTo(sent);
        assertThat(db.queryLong("SELECT sum(next_offset) FROM sink_offsets")).isEqualTo(sent.size());
    }

    /**
     * A partition that goes quiet while the others still have a backlog: it stops holding them
     * back once it has been idle a second, and every row is stored.
     */
    @Test
    void shouldNotBeHeldBackByAPartitionThatGoesQuiet(TestKafka kafka, TestDatabase db) throws Exception {
        String topic = kafka.newTopic("sink-quiet", 2);
        // partition 0 has ten ticks' samples at the start, then nothing
        Set<Metric> sent = producePerPartition(kafka, topic, 2, 6_000, (p, t) -> p == 0 && t >= 10 ? 0 : 5);
        CollectorRegistry registry = new CollectorRegistry();
        SinkConfig config = smallFetches(kafka, db, topic, "");
        try (SinkApp sink = SinkApp.start(config, registry)) {
            SinkFixtures.awaitRows(db, sent.size(), Duration.ofSeconds(60));
        }
        assertThat(SinkFixtures.stored(db)).isEqualTo(sent);
    }

    /**
     * Produces, for each tick (10 ms apart, ending a minute ago) and partition, samples of
     * {@code series.applyAsInt(partition, tick)} series straight to that partition; returns them.
     */
    private static Set<Metric> producePerPartition(TestKafka kafka, String topic, int partitions, int ticks,
            java.util.function.IntBinaryOperator series) {
        return producePerPartition(kafka, topic, partitions, ticks, series,
                System.currentTimeMillis() - ticks * 10L - 60_000L);
    }

    /**
     * Samples of {@code series(p, t)} series into each partition {@code p} at each tick {@code t},
     * 10 ms apart from {@code start}.
     */
    private static Set<Metric> producePerPartition(TestKafka kafka, String topic, int partitions, int ticks,
            java.util.function.IntBinaryOperator series, long start) {
        try (KafkaProducer<byte[], byte[]> producer = SinkFixtures.producer(kafka.bootstrapServers())) {
            return producePerPartition(producer, topic, partitions, ticks, series, start);
        }
    }

    /** As above, through {@code producer}, flushed before it returns. */
    private static Set<Metric> producePerPartition(KafkaProducer<byte[], byte[]> producer, String topic,
            int partitions, int ticks, java.util.function.IntBinaryOperator series, long start) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        Set<Metric> sent = new HashSet<>();
        for (int t = 0; t < ticks; t++) {
            for (int p = 0; p < partitions; p++) {
                for (int s = 0; s < series.applyAsInt(p, t); s++) {
                    Metric m = new Metric("sink_per_partition", start + t * 10L, t + s,
                            Labels.of("partition", "p" + p, "series", "s" + s));
                    sent.add(m);
                    ProducerRecord<byte[], byte[]> r = WireFormat.record(topic, m);
                    records.add(new ProducerRecord<>(topic, p, r.key(), r.value()));
                }
            }
        }
        for (ProducerRecord<byte[], byte[]> r : records) {
            producer.send(r);
        }
        producer.flush();
        return sent;
    }

    /**
     * The test sink with small fetches, as a busy broker gives (each takes a short stretch of
     * each partition), plus {@code extraConsumerProperties} (YAML lines under them).
     */
    private static SinkConfig smallFetches(TestKafka kafka, TestDatabase db, String topic,
            String extraConsumerProperties) {
        return SinkConfig.load(io.mpipe.common.config.ConfigSource.parse(SinkFixtures.yaml(kafka.bootstrapServers(),
                db.jdbcUrl(), db.user(), topic, kafka.newGroup("sink"), """
                  consumer-properties:
                    max.partition.fetch.bytes: "16384"
                """ + extraConsumerProperties), Map.of()));
    }
}
