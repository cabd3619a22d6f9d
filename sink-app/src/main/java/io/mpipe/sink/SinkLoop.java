package io.mpipe.sink;

import io.mpipe.sink.align.Alignment;
import io.mpipe.sink.batch.Batch;
import io.mpipe.sink.batch.BatchPolicy;
import io.mpipe.sink.offsets.OffsetStore;
import io.mpipe.sink.write.WritePath;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's consume loop: poll, decode, batch; hand a due batch to the writer thread and keep
 * polling while it is written (so decoding overlaps the database's work). A batch goes when it is
 * full, when its first record has waited {@code max-age}, or, if the writer is idle, as soon as the
 * loop has read everything there is; so batches are large under load and small when latency is
 * all that matters. After each commit,
 * commit the same offsets to Kafka so lag tools see progress.
 *
 * <p>Exactly once: a batch's rows and offsets commit in one PostgreSQL transaction; on assignment
 * every partition is paused until it has been sought to the offset stored in PostgreSQL. When
 * partitions are revoked, their records in the unwritten batch are dropped (their new owner reads
 * them again from the stored offset) and the batch being written is waited for, so a revoked
 * partition's records are written with their offsets or not at all. A sink cut off from the group
 * long enough to lose its partitions without being told (a zombie) is stopped by the offsets in
 * PostgreSQL: the new owner claims the partitions there, and a batch checks its claim in its own
 * transaction ({@link OffsetStore#fence}), so the zombie's batch is refused and dropped.
 *
 * <p>Under load, rows go to PostgreSQL in time order: batches are cut at the time all
 * partitions have reached, and partitions that run ahead are paused ({@link Alignment}).
 *
 * <p>The loop polls, dispatches and reacts to rebalances; the rest is in its parts:
 * {@link RecordIntake} (what becomes of each record), {@link Alignment} (the time-order rules),
 * {@link WriterThread} (the batch in flight), {@link HeldPartitions} (claims, seeks, pauses and
 * Kafka commits of the partitions held) and {@link WritePath} (retries, fencing, dead letters).
 *
 * <p>PostgreSQL unreachable: the writer retries the same batch with backoff, and the loop pauses
 * its partitions (staying in the group) until the batch is in. Nothing is skipped, nothing
 * committed early. Rows PostgreSQL refuses for their data are found and dead-lettered
 * ({@link WritePath}); so are records that are not valid metrics, whose key is not their series
 * key, or whose sample is more than {@code max-future} ahead of the sink's clock.
 *
 * <p>A batch creates at most {@code max-new-partitions} time partitions: a record that would need
 * one more is read again for the next batch (the consumer is sought back to it), so one batch of
 * samples spread over years does not ask PostgreSQL for thousands of tables in one transaction.
 */
public final class SinkLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(SinkLoop.class);
    private static final Duration POLL = Duration.ofMillis(50);
    /** Longest poll while a write is in flight. */
    private static final Duration WRITE_CHECK = Duration.ofMillis(5);
    /** Longest wait on a busy writer before polling again (the poll keeps the group membership). */
    private static final Duration BACKPRESSURE_WAIT = Duration.ofMillis(500);

    /** Settings of the loop. */
    public record Options(String topic, long retentionMs, long partitionIntervalMs, Optional<Instant> startFrom,
            Duration maxBackoff, Duration revokeWait, Duration shutdownTimeout, int maxPollRecords, long maxFutureMs,
            int maxNewPartitions) {
    }

    private final Consumer<byte[], byte[]> consumer;
    private final WritePath writePath;
    /** Starts of the time partitions the writer knows to exist (a live view). */
    private final Set<Long> existingPartitions;
    private final BatchPolicy policy;
    private final SinkMetrics metrics;
    private final Options options;
    private final CommitListener onCommit;
    private final RecordIntake intake;
    private final WriterThread writer;
    private final HeldPartitions held;

    private Batch building;
    /** The current time-order decision ({@link Alignment#plan}). */
    private Alignment.Plan plan = Alignment.Plan.NONE;
    /**
     * Set when a full batch waits for a busy writer; cleared when a batch that is not full is
     * handed off (or held).
     */
    private boolean writerBound;
    /** The batch {@link #handOff} held back, and the watermark it was held at; null when none is. */
    private Batch heldBatch;
    private long heldAt;

    private volatile boolean stopping;
    private boolean caughtUp;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final CountDownLatch finished = new CountDownLatch(1);

    public SinkLoop(Consumer<byte[], byte[]> consumer, WritePath writePath, Set<Long> existingPartitions,
            OffsetStore offsets, DataSource dataSource, BatchPolicy policy, SinkMetrics metrics, Options options,
            CommitListener onCommit) {
        this.onCommit = onCommit;
        this.consumer = consumer;
        this.writePath = writePath;
        this.existingPartitions = existingPartitions;
        this.policy = policy;
        this.metrics = metrics;
        this.options = options;
        this.intake = new RecordIntake(metrics, options, log);
        this.writer = new WriterThread(writePath);
        this.held = new HeldPartitions(consumer, offsets, dataSource, policy, metrics, options);
        this.building = newBatch(16);
    }

    @Override
    public void run() {
        metrics.up.set(1);
        try {
            consumer.subscribe(List.of(options.topic()), new Listener());
            while (!stopping) {
                reap(false);
                held.releaseFenced();
                held.seekPending();
                if (writer.busy() && policy.isFull(building)) {
                    writerBound = true;
                    // backpressure: wait for the writer itself, not for a paused poll to time out, so the
                    // next batch goes to PostgreSQL the moment the last one is in
                    writer.waitQuietly(BACKPRESSURE_WAIT);
                    reap(false);
                }
                if (!writer.busy() && policy.isDue(building)) {
                    handOff(true);
                }
                held.updatePauses(writer.busy() && policy.isFull(building), plan.ahead());
                ConsumerRecords<byte[], byte[]> records = consumer.poll(pollTimeout());
                caughtUp = records.count() < options.maxPollRecords();
                if (!records.isEmpty()) {
                    metrics.recordsConsumed.inc(records.count());
                    for (TopicPartition tp : records.partitions()) {
                        take(tp, records.records(tp));
                    }
                }
                plan = Alignment.plan(policy.now(), held.states(), writerBound, options.maxPollRecords());
                // an idle writer takes what there is once the loop has caught up with the topic: low
                // latency under light load; under load the writer is busy and batches fill to max-rows
                if (!writer.busy() && (policy.isDue(building) || (caughtUp && !building.isEmpty()))) {
                    handOff(true);
                }
            }
        } catch (WakeupException e) {
            if (!stopping) {
                failure.set(e);
            }
        } catch (RuntimeException | Error e) {
            failure.set(e);
            log.error("sink loop failed", e);
        } finally {
            try {
                drain();
            } catch (RuntimeException e) {
                log.error("sink: final flush failed; nothing of it was committed", e);
            } finally {
                metrics.up.set(0);
                try {
                    consumer.close(Duration.ofSeconds(10));
                } catch (RuntimeException e) {
                    log.warn("closing the consumer: {}", e.toString());
                }
                writer.shutdown();
                finished.countDown();
            }
        }
    }

    /** One partition's records of a poll into the batch (none while it waits for a seek or a rebalance). */
    private void take(TopicPartition tp, List<ConsumerRecord<byte[], byte[]>> records) {
        if (!held.readable(tp)) {
            return; // read again after the seek
        }
        long newest = Long.MIN_VALUE;
        for (ConsumerRecord<byte[], byte[]> rec : records) {
            long ts = intake.accept(building, tp, rec, policy.now());
            if (ts == RecordIntake.DEFERRED) {
                // it and the rest of this partition's records come again, for the next batch
                consumer.seek(tp, rec.offset());
                building.close();
                break;
            }
            newest = Math.max(newest, ts);
        }
        if (newest != Long.MIN_VALUE) {
            held.read(tp, newest, policy.now());
        }
    }

    private Duration pollTimeout() {
        // while a batch is being written, come back soon: the writer's next batch waits for this loop
        long max = writer.busy() ? WRITE_CHECK.toMillis() : POLL.toMillis();
        if (building.isEmpty() || building == heldBatch) {
            // a held batch waits for records of the slowest partition, and a poll returns with them
            return Duration.ofMillis(max);
        }
        return Duration.ofMillis(Math.max(1, Math.min(max, policy.millisUntilDue(building))));
    }

    private Batch newBatch(int expectedSeries) {
        return new Batch(policy.maxRows(), expectedSeries, options.partitionIntervalMs(), existingPartitions);
    }

    /**
     * Hands the batch to the writer, whole or cut at the watermark, or holds it back, as
     * {@link Alignment#handOff} decides ({@code cut} false: whole). A held batch is looked at again
     * when the watermark or whether the sink is behind changes.
     */
    private void handOff(boolean cut) {
        Batch batch = building;
        if (!policy.isFull(batch)) {
            writerBound = false;
        }
        Alignment.HandOff what = Alignment.handOff(plan, cut, batch.size(), policy.maxRows(), batch.isClosed(),
                batch == heldBatch && plan.watermark() == heldAt, batch::rowsUpTo);
        if (what == Alignment.HandOff.HOLD) {
            heldBatch = batch;
            heldAt = plan.watermark();
            return;
        }
        Batch rest = what == Alignment.HandOff.CUT ? batch.cutAfter(plan.watermark(), policy.maxRows()) : null;
        heldBatch = null;
        building = rest != null ? rest : newBatch(batch.seriesKeys().size());
        writer.submit(batch);
    }

    /** Collects a finished write: metrics, and the Kafka commit. With {@code block}, waits for it. */
    private void reap(boolean block) {
        WriterThread.Outcome done = writer.take(block);
        if (done == null) {
            return;
        }
        if (done.failure() == null) {
            metrics.committed(done.result(), done.batch());
            onCommit.committed(done.batch(), done.result());
            held.commitToKafka(done.result().nextOffsets());
        } else if (done.failure() instanceof OffsetStore.Fenced fenced) {
            dropFenced(fenced, done.batch());
        } else if (!stopping) {
            // the batch is neither written nor to be retried: go back to what PostgreSQL holds, so
            // that nothing after the last stored offset is skipped
            log.error("sink: batch not written; re-reading every partition from its stored offset", done.failure());
            building = newBatch(16);
            held.seekAllAgain();
        } else {
            // stopping: what was read after the failed batch must not be written either (its
            // offsets would pass the failed rows); the next owner reads both from the stored offset
            log.warn("sink: batch not written: {}; nothing read after it is written either",
                    done.failure().toString());
            building = newBatch(16);
        }
    }

    /**
     * The offsets in PostgreSQL refused the batch: another sink claimed one of its partitions (this
     * one was cut off from the group, and Kafka gave them away), or stored past it. Nothing of the
     * batch was written. What was read after it of its partitions is dropped too, and those this
     * consumer still holds wait for a rebalance, then are read again from the stored offsets
     * (claimed again: Kafka says they are ours); a partition this sink has lost goes when the next
     * poll says so.
     */
    private void dropFenced(OffsetStore.Fenced fenced, Batch batch) {
        metrics.batchesFenced.inc();
        Set<TopicPartition> batchPartitions = batch.nextOffsets().keySet();
        building.removePartitions(batchPartitions);
        log.warn("sink: {}; the batch ({} rows, offsets {}) is dropped; its partitions wait for a rebalance and are"
                + " then read again from their stored offsets if this sink still holds them", fenced.getMessage(),
                batch.size(), batch.nextOffsets());
        if (held.fence(batchPartitions, consumer.groupMetadata().generationId())) {
            consumer.enforceRebalance("a batch was refused by the offsets in PostgreSQL");
        }
    }

    /** Waits up to {@code max} for the batch in flight and collects it; false if it is still being written. */
    private boolean awaitInFlight(Duration max) {
        if (!writer.await(max)) {
            return false;
        }
        reap(true);
        return true;
    }

    private void drain() {
        if (!awaitInFlight(options.shutdownTimeout())) {
            log.warn("sink: the batch being written did not finish within {}; nothing of it is committed, it will"
                    + " be read again on restart", options.shutdownTimeout());
            writer.abandon();
            return;
        }
        if (failure.get() == null && !building.isEmpty()) {
            handOff(false);
            if (!awaitInFlight(options.shutdownTimeout())) {
                log.warn("sink: last batch not written within {}; nothing of it is committed, it will be read"
                        + " again on restart", options.shutdownTimeout());
                writer.abandon();
            }
        }
        if (writer.busy() && !awaitInFlight(options.shutdownTimeout())) {
            writer.abandon();
        }
    }

    private final class Listener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            if (revoked.isEmpty()) {
                return;
            }
            building.removePartitions(revoked);
            if (!awaitInFlight(options.revokeWait())) {
                log.warn("sink: batch still being written when {} were revoked; its offsets only ever move"
                        + " forward and its rows are de-duplicated, so the new owner may rewrite but not lose"
                        + " or double them", revoked);
            }
            held.removed(revoked);
            plan = plan.without(revoked);
            log.info("sink: partitions revoked: {}", revoked);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            building.removePartitions(lost);
            held.removed(lost);
            plan = plan.without(lost);
            log.warn("sink: partitions lost: {}", lost);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> added) {
            if (added.isEmpty()) {
                return;
            }
            held.assigned(added);
            log.info("sink: partitions assigned: {}", added);
            held.seekPending();
            held.updatePauses(writer.busy() && policy.isFull(building), plan.ahead());
        }
    }

    /** Asks the loop to finish: flush the current batch, commit, leave the group. */
    public void stop() {
        stopping = true;
        consumer.wakeup();
    }

    /** Waits for the loop to finish; true if it did within {@code timeout}. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean isRunning() {
        return finished.getCount() > 0;
    }

    /** Partitions this instance holds now. */
    public int assignedPartitions() {
        return held.count();
    }

    /** False while the last write failed, or the stored offsets cannot be read. */
    public boolean databaseUp() {
        return writePath.databaseUp() && held.offsetsReadable();
    }

    /** What makes writes fail now, when they do. */
    public Optional<String> writeProblem() {
        return writePath.problem();
    }

    /** Set when the loop ended on an error rather than {@link #stop()}. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }
}
