package io.mpipe.sink.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.sink.batch.Batch;
import io.mpipe.sink.dlq.DeadLetterPublisher;
import io.mpipe.sink.offsets.OffsetStore;
import io.mpipe.sink.schema.Migrations;
import io.mpipe.sink.schema.PartitionMaintainer;
import io.mpipe.sink.series.SeriesCache;
import io.mpipe.sink.series.SeriesResolver;
import io.mpipe.testsupport.TestDatabase;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.mpipe.testsupport.WithPostgres;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The offsets in PostgreSQL as the judge of who may write a partition: a sink that lost its
 * partitions without being told (a zombie) is refused, a batch whose commit answer was lost is not
 * stored twice, and of two batches over the same offsets exactly one commits.
 */
@WithPostgres
@WithKafka
class FencingIT {
    private static final String GROUP = "fencing";
    private static final TopicPartition P0 = new TopicPartition("metrics", 0);
    private static final long DAY = 86_400_000L;

    private static PGSimpleDataSource ds(TestDatabase db) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(db.jdbcUrl());
        ds.setUser(db.user());
        ds.setOptions("-c TimeZone=UTC");
        return ds;
    }

    private static CopyBatchWriter writer(PGSimpleDataSource ds, OffsetStore offsets, DeadLetterPublisher dlq) {
        return new CopyBatchWriter(ds, new SeriesResolver(new SeriesCache(1000)),
                new PartitionMaintainer(Duration.ofDays(1)), offsets, dlq, DedupMode.OPTIMISTIC);
    }

    /** Records {@code [from, to)} of partition 0: one sample each, of ten series, a second apart. */
    private static Batch batch(long from, long to) {
        Batch b = new Batch(1000, DAY);
        long t0 = System.currentTimeMillis() - 3_600_000L;
        for (long o = from; o < to; o++) {
            b.add(P0, o, "fenced{s=\"" + (o % 10) + "\"}", t0 + o * 1000, o, t0);
        }
        return b;
    }

    @Test
    void shouldRefuseAZombiesBatchAndABatchStoredBeforeAndLetOneOfTwoRacingBatchesCommit(TestDatabase db,
            TestKafka kafka) throws Exception {
        PGSimpleDataSource ds = ds(db);
        Migrations.migrate(ds);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer());
        try (producer) {
            DeadLetterPublisher dlq = new DeadLetterPublisher(producer, kafka.newTopic("fencing-dlq", 1));
            OffsetStore a = new OffsetStore(GROUP, "sink-a");
            OffsetStore b = new OffsetStore(GROUP, "sink-b");
            CopyBatchWriter writerA = writer(ds, a, dlq);
            CopyBatchWriter writerB = writer(ds, b, dlq);

            // sink A is assigned partition 0: a fresh group starts at 0, claimed by A
            assertThat(a.claim(ds, List.of(P0))).isEmpty();
            a.writeStart(ds, Map.of(P0, 0L));
            assertThat(writerA.write(batch(0, 100)).inserted()).isEqualTo(100);

            // A is cut off; the group gives partition 0 to B, which claims it and reads offset 100
            assertThat(b.claim(ds, List.of(P0))).containsEntry(P0, 100L);
            Batch zombie = batch(100, 200);
            assertThatThrownBy(() -> writerA.write(zombie))
                    .isInstanceOf(OffsetStore.Fenced.class)
                    .hasMessageContaining("claimed by sink-b")
                    .satisfies(e -> assertThat(((OffsetStore.Fenced) e).partitions()).containsExactly(P0));
            assertThat(rows(db)).as("nothing of the zombie's batch").isEqualTo(100);
            assertThat(stored(db)).isEqualTo(100);
            // nor through the path that finds refused rows one by one
            assertThatThrownBy(() -> writerA.writeIsolating(batch(100, 200), (batch, refused) -> { }))
                    .isInstanceOf(OffsetStore.Fenced.class);

            // B, the owner, writes the same offsets; then the zombie's batch is also past its start
            assertThat(writerB.write(batch(100, 200)).inserted()).isEqualTo(100);
            assertThatThrownBy(() -> writerA.write(zombie)).isInstanceOf(OffsetStore.Fenced.class);

            // B's commit answer lost: the same batch again is refused, not stored twice
            Batch again = batch(200, 300);
            writerB.write(again);
            assertThatThrownBy(() -> writerB.write(again))
                    .isInstanceOf(OffsetStore.Fenced.class)
                    .hasMessageContaining("stored up to 300, past the batch's first offset 200");
            assertThat(stored(db)).isEqualTo(300);

            // two batches over the same offsets at once, both of B (a retry racing its first
            // attempt): the first to lock the offsets commits, the other is refused
            CopyBatchWriter writerB2 = writer(ds, b, dlq);
            CyclicBarrier start = new CyclicBarrier(2);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<WriteResult>> results = new ArrayList<>();
                for (CopyBatchWriter w : List.of(writerB, writerB2)) {
                    Callable<WriteResult> task = () -> {
                        Batch racing = batch(300, 400);
                        start.await();
                        return w.write(racing);
                    };
                    results.add(pool.submit(task));
                }
                int committed = 0;
                int fenced = 0;
                for (Future<WriteResult> f : results) {
                    try {
                        f.get();
                        committed++;
                    } catch (ExecutionException e) {
                        assertThat(e.getCause()).isInstanceOf(OffsetStore.Fenced.class);
                        fenced++;
                    }
                }
                assertThat(committed).isEqualTo(1);
                assertThat(fenced).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
            assertThat(rows(db)).isEqualTo(400);
            assertThat(stored(db)).isEqualTo(400);
            assertThat(db.queryLong("SELECT count(*) FROM sink_offsets WHERE owner = 'sink-b'")).isEqualTo(1);
        }
    }

    private static long rows(TestDatabase db) {
        return db.queryLong("SELECT count(*) FROM samples");
    }

    private static long stored(TestDatabase db) {
        return db.queryLong("SELECT next_offset FROM sink_offsets WHERE consumer_group = '" + GROUP + "'");
    }
}
