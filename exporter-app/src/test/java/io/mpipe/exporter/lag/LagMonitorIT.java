package io.mpipe.exporter.lag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.tools.consumer.group.ConsumerGroupCommandProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@WithKafka
class LagMonitorIT {
    private static final long HOUR = 3_600_000L;
    private TestKafka kafka;
    private LagMonitor monitor;

    @BeforeEach
    void start(TestKafka kafka) {
        this.kafka = kafka;
    }

    @AfterEach
    void stop() {
        if (monitor != null) {
            monitor.close();
        }
    }

    private LagMonitor monitor(String... groups) {
        Properties base = new Properties();
        base.put("bootstrap.servers", kafka.bootstrapServers());
        monitor = new LagMonitor(Admin.create(base), () -> new KafkaConsumer<>(LagService.probeProperties(base),
                new ByteArrayDeserializer(), new ByteArrayDeserializer()),
                LagSettings.defaults().withGroups(List.of(groups)), Clock.systemUTC());
        return monitor;
    }

    /** Produces {@code n} records to a partition with the given timestamps. */
    private void produce(String topic, int partition, int n, long firstTs, long stepMs) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            List<java.util.concurrent.Future<?>> sent = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, partition, firstTs + i * stepMs, null, new byte[] {1})));
            }
            producer.flush();
            for (java.util.concurrent.Future<?> f : sent) {
                f.get(); // a record not delivered fails the test here, not as a wrong lag later
            }
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("producing to " + topic + "-" + partition, e);
        }
    }

    /** Commits offsets for a group that then has no member (like a stopped consumer). */
    private void commit(String group, Map<TopicPartition, Long> offsets) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            Map<TopicPartition, OffsetAndMetadata> m = new HashMap<>();
            offsets.forEach((tp, o) -> m.put(tp, new OffsetAndMetadata(o)));
            c.commitSync(m);
        }
    }

    private static LagSnapshot.Group group(LagSnapshot s, String g) {
        return s.groups().stream().filter(x -> x.group().equals(g)).findFirst().orElseThrow();
    }

    private static LagSnapshot.Partition partition(LagSnapshot.Group g, int p) {
        return g.partitions().stream().filter(x -> x.partition() == p).findFirst().orElseThrow();
    }

    @Test
    void shouldReportTheSameLagInRecordsAsKafkasConsumerGroupCommand() throws Exception {
        String topic = kafka.newTopic("lag-cgc", 3);
        long now = System.currentTimeMillis();
        produce(topic, 0, 100, now - 100_000, 1000);
        produce(topic, 1, 50, now - 50_000, 1000);
        produce(topic, 2, 10, now - 10_000, 1000);
        String group = kafka.newGroup("cgc");
        commit(group, Map.of(new TopicPartition(topic, 0), 30L, new TopicPartition(topic, 1), 50L,
                new TopicPartition(topic, 2), 0L));

        LagSnapshot s = monitor(group).poll();
        Map<TopicPartition, Long> theirs = ConsumerGroupCommandProbe.lags(kafka.bootstrapServers(), group);

        LagSnapshot.Group g = group(s, group);
        Map<TopicPartition, Long> ours = new HashMap<>();
        g.partitions().forEach(p -> ours.put(new TopicPartition(p.topic(), p.partition()), p.lag()));
        assertThat(ours).isEqualTo(theirs).isEqualTo(Map.of(new TopicPartition(topic, 0), 70L,
                new TopicPartition(topic, 1), 0L, new TopicPartition(topic, 2), 10L));
        assertThat(g.sumLag()).isEqualTo(80);
        assertThat(g.maxLag()).isEqualTo(70);
    }

    @Test
    void shouldMeasureLagInSecondsFromTheNextRecordToReadAndZeroWhenCaughtUp() {
        String topic = kafka.newTopic("lag-seconds", 2);
        long now = System.currentTimeMillis();
        produce(topic, 0, 10, now - 600_000, 60_000); // one a minute: record 4 is 6 min old
        produce(topic, 1, 5, now - 5_000, 1000);
        String group = kafka.newGroup("secs");
        commit(group, Map.of(new TopicPartition(topic, 0), 4L, new TopicPartition(topic, 1), 5L));

        LagSnapshot s = monitor(group).poll();
        LagSnapshot.Group g = group(s, group);
        long recordFourTs = now - 600_000 + 4 * 60_000;
        double truth = (s.polledAt() - recordFourTs) / 1000.0;
        assertThat(partition(g, 0).lag()).isEqualTo(6);
        assertThat(partition(g, 0).lagSeconds()).isCloseTo(truth, within(1.0));
        // record 4 is 6 min old when produced, plus however long producing and committing took here;
        // records 3 and 5 would be a minute off
        double setup = (s.polledAt() - now) / 1000.0;
        assertThat(partition(g, 0).lagSeconds()).isBetween(359.0, 361.0 + setup);
        // caught up: 0 records, 0 seconds
        assertThat(partition(g, 1).lag()).isZero();
        assertThat(partition(g, 1).lagSeconds()).isZero();
        assertThat(g.maxLagSeconds()).isEqualTo(partition(g, 0).lagSeconds());
    }

    @Test
    void shouldShowThePausedGroupsLagGrowAndKeepTheEmptyGroupListed() throws Exception {
        String topic = kafka.newTopic("lag-paused", 1);
        long now = System.currentTimeMillis();
        produce(topic, 0, 20, now - 20_000, 1000);
        String group = kafka.newGroup("paused");
        commit(group, Map.of(new TopicPartition(topic, 0), 10L));
        LagMonitor m = monitor(group);

        LagSnapshot first = m.poll();
        LagSnapshot.Group g1 = group(first, group);
        assertThat(g1.state()).isEqualTo("Empty"); // as kafka-consumer-groups prints it
        assertThat(g1.members()).isZero();

        Thread.sleep(1500);
        produce(topic, 0, 30, System.currentTimeMillis(), 10);
        LagSnapshot second = m.poll();
        LagSnapshot.Partition p1 = partition(g1, 0);
        LagSnapshot.Partition p2 = partition(group(second, group), 0);
        assertThat(p2.lag()).isEqualTo(p1.lag() + 30);
        assertThat(p2.lagSeconds()).isGreaterThanOrEqualTo(p1.lagSeconds() + 1.4);
        assertThat(p2.committed()).isEqualTo(10);
    }

    @Test
    void shouldReportTheTrueLargeLagOfAGroupReadingAYearOldReplay() {
        String topic = kafka.newTopic("lag-replay", 1);
        long now = System.currentTimeMillis();
        long yearAgo = now - 365L * 24 * HOUR;
        produce(topic, 0, 1000, yearAgo, 60_000); // a year-old series replayed, one sample a minute
        String group = kafka.newGroup("replay-reader");
        commit(group, Map.of(new TopicPartition(topic, 0), 100L));

        LagSnapshot s = monitor(group).poll();
        LagSnapshot.Partition p = partition(group(s, group), 0);
        double truth = (s.polledAt() - (yearAgo + 100 * 60_000L)) / 1000.0;
        assertThat(p.lag()).isEqualTo(900);
        assertThat(p.lagSeconds()).isCloseTo(truth, within(1.0));
        assertThat(p.lagSeconds()).isBetween(364.9 * 86_400, 365.0 * 86_400);
    }

    @Test
    void shouldMeasureEveryGroupWhenSeveralSitAtDifferentOffsetsOfAPartition() {
        String topic = kafka.newTopic("lag-two-groups", 1);
        long now = System.currentTimeMillis();
        produce(topic, 0, 100, now - 100_000, 1000);
        String slow = kafka.newGroup("slow");
        String fast = kafka.newGroup("fast");
        commit(slow, Map.of(new TopicPartition(topic, 0), 10L));
        commit(fast, Map.of(new TopicPartition(topic, 0), 90L));

        LagSnapshot s = monitor(slow, fast).poll();
        assertThat(partition(group(s, slow), 0).lagSeconds()).isCloseTo((s.polledAt() - (now - 90_000)) / 1000.0,
                within(1.0));
        assertThat(partition(group(s, fast), 0).lagSeconds()).isCloseTo((s.polledAt() - (now - 10_000)) / 1000.0,
                within(1.0));
    }
}
