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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/** Adding consumers: more sink instances in one group, and a new group started from a timestamp. */
@WithKafka
@WithPostgres
class SinkGroupsIT {

    @Test
    void shouldStayExactWhenASecondAndAThirdInstanceJoinDuringALoad(TestKafka kafka, TestDatabase db)
            throws Exception {
        String topic = kafka.newTopic("sink-scale", 6);
        String group = kafka.newGroup("sink-scale");
        List<Metric> sent = SinkFixtures.metrics(150_000, 1_500, "sink_scaled");
        AtomicInteger produced = new AtomicInteger();
        // the last third of the load waits until the second and third instances hold partitions, so they
        // have rows to write
        CountDownLatch bothJoined = new CountDownLatch(1);
        Thread producer = new Thread(() -> {
            try (KafkaProducer<byte[], byte[]> p = SinkFixtures.producer(kafka.bootstrapServers())) {
                for (Metric m : sent) {
                    if (produced.get() == 100_000 && !bothJoined.await(60, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the second and third sinks held no partitions within 60 s");
                    }
                    p.send(WireFormat.record(topic, m));
                    if (produced.incrementAndGet() % 1_500 == 0) {
                        Thread.sleep(100); // about 15,000 a second for 10 s
                    }
                }
                p.flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        CollectorRegistry r1 = new CollectorRegistry();
        CollectorRegistry r2 = new CollectorRegistry();
        CollectorRegistry r3 = new CollectorRegistry();
        try (SinkApp a = SinkApp.start(SinkFixtures.config(kafka.bootstrapServers(), db, topic, group), r1)) {
            producer.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> produced.get() > 30_000);
            try (SinkApp b = SinkApp.start(SinkFixtures.config(kafka.bootstrapServers(), db, topic, group), r2)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> produced.get() > 70_000);
                try (SinkApp c = SinkApp.start(SinkFixtures.config(kafka.bootstrapServers(), db, topic, group), r3)) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> b.loop().assignedPartitions() > 0
                            && c.loop().assignedPartitions() > 0
                            && a.loop().assignedPartitions() + b.loop().assignedPartitions()
                                    + c.loop().assignedPartitions() == 6);
                    bothJoined.countDown();
                    producer.join(120_000);
                    assertThat(produced.get()).isEqualTo(sent.size());
                    await().atMost(Duration.ofSeconds(90)).until(() ->
                            db.queryLong("SELECT coalesce(sum(next_offset), 0) FROM sink_offsets") == sent.size());
                    assertThat(a.loop().assignedPartitions() + b.loop().assignedPartitions()
                            + c.loop().assignedPartitions()).isEqualTo(6);
                    assertThat(c.loop().assignedPartitions()).isPositive();
                }
            }
        }
        assertThat(r2.getSampleValue("sink_rows_written_total")).isPositive();
        assertThat(r3.getSampleValue("sink_rows_written_total")).isPositive();
        assertThat(SinkFixtures.rows(db)).isEqualTo(sent.size());
        assertThat(SinkFixtures.stored(db)).isEqualTo(new HashSet<>(sent));
    }

    @Test
    void shouldStoreExactlyTheRecordsAtOrAfterTheStartTimeForANewGroup(TestKafka kafka, TestDatabase db)
            throws Exception {
        String topic = kafka.newTopic("sink-from", 4);
        long now = System.currentTimeMillis();
        List<Metric> before = new ArrayList<>();
        List<Metric> after = new ArrayList<>();
        Instant from = Instant.ofEpochMilli(now - 45 * 60_000L);
        for (int i = 0; i < 3_000; i++) {
            // one a second from 3 h ago to 2 h 10 min ago, then from 30 min ago on
            long ts = i < 1_500 ? now - 3 * 3_600_000L + i * 1000L : now - 30 * 60_000L + (i - 1_500) * 1000L;
            Metric m = new Metric("sink_from", ts, i, Labels.of("series", "s" + (i % 30)));
            (ts >= from.toEpochMilli() ? after : before).add(m);
        }
        List<Metric> all = new ArrayList<>(before);
        all.addAll(after);
        // partitions 0-2 by series; partition 3 is kept for the quiet records below
        List<org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]>> main = new ArrayList<>();
        for (Metric m : all) {
            main.add(new org.apache.kafka.clients.producer.ProducerRecord<>(topic,
                    Math.floorMod(m.seriesKey().hashCode(), 3), m.timestamp(),
                    m.seriesKey().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    io.mpipe.common.wire.MetricJson.encode(m)));
        }
        SinkFixtures.produceRaw(kafka.bootstrapServers(), main);
        // a quiet partition: only records from before --from
        List<org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]>> quiet = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Metric m = new Metric("sink_from_quiet", now - 2 * 3_600_000L + i * 1000L, i, Labels.EMPTY);
            quiet.add(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 3, m.timestamp(),
                    m.seriesKey().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    io.mpipe.common.wire.MetricJson.encode(m)));
        }
        SinkFixtures.produceRaw(kafka.bootstrapServers(), quiet);
        CollectorRegistry registry = new CollectorRegistry();
        String group = kafka.newGroup("late-group");
        SinkConfig config = SinkFixtures.config(kafka.bootstrapServers(), db, topic, group)
                .withStartFrom(Optional.of(from));
        try (SinkApp sink = SinkApp.start(config, registry)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> SinkFixtures.rows(db) >= after.size());
            await().atMost(Duration.ofSeconds(10)).until(() -> registry.getSampleValue("sink_batches_total",
                    new String[] {"outcome"}, new String[] {"committed"}) >= 1.0);
        }
        assertThat(before).hasSize(1_500);
        assertThat(SinkFixtures.rows(db)).isEqualTo(after.size());
        assertThat(SinkFixtures.stored(db)).isEqualTo(new HashSet<>(after));
        // the start is stored, even for the quiet partition: started again without --from, the
        // group resumes and does not go back to the beginning
        assertThat(db.queryLong("SELECT next_offset FROM sink_offsets WHERE partition = 3")).isEqualTo(100);
        try (SinkApp again = SinkApp.start(SinkFixtures.config(kafka.bootstrapServers(), db, topic, group),
                new CollectorRegistry())) {
            // a new record behind the quiet partition's old ones: had the group gone back to the
            // beginning, the old ones would be stored before it
            Metric fresh = new Metric("sink_from_quiet", now, 1, Labels.of("late", "yes"));
            SinkFixtures.produceRaw(kafka.bootstrapServers(), List.of(new org.apache.kafka.clients.producer.ProducerRecord<>(
                    topic, 3, fresh.timestamp(), fresh.seriesKey().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    io.mpipe.common.wire.MetricJson.encode(fresh))));
            await().atMost(Duration.ofSeconds(30)).until(() -> SinkFixtures.rows(db) > after.size());
        }
        assertThat(SinkFixtures.rows(db)).isEqualTo(after.size() + 1);
    }
}
