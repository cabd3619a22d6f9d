package io.mpipe.sink;

import io.mpipe.common.config.Durations;
import io.mpipe.common.wire.MetricDecodeException;
import io.mpipe.common.wire.SampleDecoder;
import io.mpipe.sink.batch.Batch;
import io.mpipe.sink.batch.BatchPolicy;
import io.mpipe.sink.copy.WriteResult;
import io.mpipe.sink.dlq.DeadLetter;
import io.mpipe.sink.offsets.OffsetStore;
import io.mpipe.sink.write.WriteErrors;
import io.mpipe.sink.write.WritePath;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
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
 * partitions have reached, and partitions that run ahead are paused ({@link #align()}).
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
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    /** What {@link #accept} returns for a record that waits for the next batch. */
    private static final long DEFERRED = Long.MAX_VALUE;
    /** Longest wait on a busy writer before polling again (the poll keeps the group membership). */
    private static final Duration BACKPRESSURE_WAIT = Duration.ofMillis(500);
    /**
     * A partition whose newest sample is older than the newest of the active partitions by more
     * than this is left out of the alignment (a replay of old data, a stuck source): it is a
     * stream of its own, neither held back nor holding the others back.
     */
    static final Duration ALIGN_WINDOW = Duration.ofSeconds(10);
    /**
     * A partition not read for this long, and with no records waiting (or not read for
     * {@link #ALIGN_WINDOW} with records known to wait), no longer holds the watermark back: it is
     * idle, not slow, and the others are not paused for it; nor does one whose lag is still not
     * known this long after it was sought (no fetch of it came up).
     */
    static final Duration ACTIVE = Duration.ofSeconds(1);
    /** How far in time a partition may run ahead of the watermark before it is paused. */
    static final long AHEAD_SLACK_MS = 20;
    /**
     * A batch of at least 1/{@value} of max-rows rows is cut at the watermark even while the sink
     * keeps up: near its capacity it keeps up with batches of a few thousand rows, handed off as
     * soon as the writer is free, and partitions read to times some milliseconds apart put a third
     * to two thirds of the next batch's rows behind the last one's newest. A smaller batch (light
     * load) is not cut, so its latency is untouched.
     */
    static final int CUT_FROM_SHARE = 4;
    /** How often, at most, the sink says it skipped samples older than the retention. */
    static final Duration SKIP_NOTE_INTERVAL = Duration.ofMinutes(1);

    /** Settings of the loop. */
    public record Options(String topic, long retentionMs, long partitionIntervalMs, Optional<Instant> startFrom,
            Duration maxBackoff, Duration revokeWait, Duration shutdownTimeout, int maxPollRecords, long maxFutureMs,
            int maxNewPartitions) {
    }

    private final Consumer<byte[], byte[]> consumer;
    private final WritePath writer;
    /** Starts of the time partitions the writer knows to exist (a live view). */
    private final Set<Long> existingPartitions;
    private final OffsetStore offsets;
    private final DataSource dataSource;
    private final BatchPolicy policy;
    private final SinkMetrics metrics;
    private final Options options;
    private final ExecutorService writerThread;
    /** Decodes on the loop thread only. */
    private final SampleDecoder decoder = new SampleDecoder();
    private final CommitListener onCommit;
    private Batch inFlightBatch;

    private Batch building;
    private Future<WriteResult> inFlight;
    private final Set<TopicPartition> assigned = new HashSet<>();
    private final Set<TopicPartition> needSeek = new HashSet<>();
    /** Partitions of a fenced batch, and the group generation it was fenced in ({@link #releaseFenced}). */
    private final Map<TopicPartition, Integer> fencedAt = new HashMap<>();
    private final Set<TopicPartition> paused = new HashSet<>();
    /** Of each partition read since it was sought: how far in time, and when it was last read. */
    private final Map<TopicPartition, Progress> progress = new HashMap<>();
    /** Partitions paused for running ahead in time of {@link #watermark}. */
    private final Set<TopicPartition> ahead = new HashSet<>();
    /** Scratch: the partitions that count for the watermark. */
    private final List<TopicPartition> active = new ArrayList<>();
    /** The writer is what limits the sink, or at least a poll's worth of records waits. */
    private boolean behind;
    /**
     * Set when a full batch waits for a busy writer; cleared when a batch that is not full is
     * handed off (or held).
     */
    private boolean writerBound;
    /** The batch {@link #handOff} held back, and the watermark it was held at; null when none is. */
    private Batch held;
    private long heldAt;
    /**
     * The newest sample timestamp all active partitions have reached (see {@link #align()}); a
     * batch is cut there ({@link Batch#cutAfter}). {@link Long#MAX_VALUE} when no partition is
     * active.
     */
    private long watermark = Long.MAX_VALUE;
    private long nextSeekAttemptMs;
    private long seekBackoffMs = MIN_BACKOFF.toMillis();

    private volatile boolean stopping;
    private volatile boolean abandonWrites;
    /** False while the stored offsets cannot be read (a seek waits for PostgreSQL). */
    private volatile boolean offsetsReadable = true;
    private volatile int assignedCount;
    private boolean caughtUp;
    /** Samples skipped for their age since the last note of it, and the newest of them. */
    private long skippedUnnoted;
    private long skippedNewestTs = Long.MIN_VALUE;
    private long lastSkipNoteMs = Long.MIN_VALUE;
    private final int maxPollRecords;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final CountDownLatch finished = new CountDownLatch(1);

    public SinkLoop(Consumer<byte[], byte[]> consumer, WritePath writer, Set<Long> existingPartitions,
            OffsetStore offsets, DataSource dataSource, BatchPolicy policy, SinkMetrics metrics, Options options,
            CommitListener onCommit) {
        this.onCommit = onCommit;
        this.consumer = consumer;
        this.writer = writer;
        this.existingPartitions = existingPartitions;
        this.offsets = offsets;
        this.dataSource = dataSource;
        this.policy = policy;
        this.metrics = metrics;
        this.options = options;
        this.maxPollRecords = options.maxPollRecords();
        this.building = newBatch(16);
        this.writerThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sink-writer");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void run() {
        metrics.up.set(1);
        try {
            consumer.subscribe(List.of(options.topic()), new Listener());
            while (!stopping) {
                reap(false);
                releaseFenced();
                seekPending();
                if (inFlight != null && policy.isFull(building)) {
                    writerBound = true;
                    // backpressure: wait for the writer itself, not for a paused poll to time out, so the
                    // next batch goes to PostgreSQL the moment the last one is in
                    waitQuietly(BACKPRESSURE_WAIT);
                    reap(false);
                }
                if (inFlight == null && policy.isDue(building)) {
                    handOff(true);
                }
                updatePauses();
                ConsumerRecords<byte[], byte[]> records = consumer.poll(pollTimeout());
                caughtUp = records.count() < maxPollRecords;
                if (!records.isEmpty()) {
                    metrics.recordsConsumed.inc(records.count());
                    for (TopicPartition tp : records.partitions()) {
                        if (needSeek.contains(tp) || fencedAt.containsKey(tp)) {
                            continue; // read again after the seek
                        }
                        long newest = Long.MIN_VALUE;
                        for (ConsumerRecord<byte[], byte[]> rec : records.records(tp)) {
                            long ts = accept(tp, rec);
                            if (ts == DEFERRED) {
                                break; // it and the rest of this partition's records come again
                            }
                            newest = Math.max(newest, ts);
                        }
                        Progress p = progress.get(tp);
                        if (newest != Long.MIN_VALUE && p != null) {
                            p.read(newest, policy.now());
                        }
                    }
                }
                align();
                // an idle writer takes what there is once the loop has caught up with the topic: low
                // latency under light load; under load the writer is busy and batches fill to max-rows
                if (inFlight == null && (policy.isDue(building) || (caughtUp && !building.isEmpty()))) {
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
                writerThread.shutdownNow();
                finished.countDown();
            }
        }
    }

    private Duration pollTimeout() {
        // while a batch is being written, come back soon: the writer's next batch waits for this loop
        long max = inFlight != null ? WRITE_CHECK.toMillis() : POLL.toMillis();
        if (building.isEmpty() || building == held) {
            // a held batch waits for records of the slowest partition, and a poll returns with them
            return Duration.ofMillis(max);
        }
        return Duration.ofMillis(Math.max(1, Math.min(max, policy.millisUntilDue(building))));
    }

    private void waitQuietly(Duration max) {
        try {
            inFlight.get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // still busy (retrying), or failed: reap() reports it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Adds the record to the batch; returns the timestamp of the sample stored, {@link Long#MIN_VALUE}
     * when none is (a dead letter, a sample past retention), or {@link #DEFERRED} when the record
     * would need one new time partition more than a batch may create: the consumer is then sought
     * back to it, and the batch is {@link Batch#close() closed}.
     */
    private long accept(TopicPartition tp, ConsumerRecord<byte[], byte[]> rec) {
        long now = policy.now();
        try {
            decoder.decode(rec.key(), rec.value()); // checked in full; the metric itself is not built
            decoder.checkKey(rec.key());
        } catch (MetricDecodeException e) {
            deadLetter(tp, rec, e.field(), e.reason(), now);
            return Long.MIN_VALUE;
        }
        if (decoder.timestamp() > now + options.maxFutureMs()) {
            deadLetter(tp, rec, "timestamp", "future: " + Instant.ofEpochMilli(decoder.timestamp()) + " is more than "
                    + Durations.format(Duration.ofMillis(options.maxFutureMs())) + " ahead of the sink's clock ("
                    + Instant.ofEpochMilli(now) + "; sink.max-future)", now);
            return Long.MIN_VALUE;
        }
        if (options.retentionMs() > 0 && decoder.timestamp() < now - options.retentionMs()) {
            metrics.skipped.labels("retention").inc();
            building.skipExpired(tp, rec.offset(), now);
            skippedUnnoted++;
            skippedNewestTs = Math.max(skippedNewestTs, decoder.timestamp());
            noteSkipped(now);
            return Long.MIN_VALUE;
        }
        if (building.newPartitions() >= options.maxNewPartitions() && building.needsNewPartition(decoder.timestamp())) {
            consumer.seek(tp, rec.offset());
            building.close();
            metrics.deferred.inc();
            return DEFERRED;
        }
        building.add(tp, rec.offset(), decoder.key(), decoder.timestamp(), decoder.value(), now);
        return decoder.timestamp();
    }

    private Batch newBatch(int expectedSeries) {
        return new Batch(policy.maxRows(), expectedSeries, options.partitionIntervalMs(), existingPartitions);
    }

    /** How far a partition has been read in time, and when (since it was sought). */
    private static final class Progress {
        /** {@link Long#MIN_VALUE} until a sample is read. */
        long newest = Long.MIN_VALUE;
        long readAtMs;

        Progress(long soughtAtMs) {
            readAtMs = soughtAtMs;
        }

        void read(long ts, long nowMs) {
            newest = Math.max(newest, ts);
            readAtMs = nowMs;
        }
    }

    /**
     * Sets {@link #watermark}, {@link #behind} and {@link #ahead}.
     *
     * <p>The samples' primary key starts with the timestamp: a row newer than every row written is
     * appended at the index's right edge, an older one descends it from the root, which costs
     * PostgreSQL several times as much. The partitions are read to different times: a batch that
     * fills up in the middle of a fetch has read some further than others, and while records wait,
     * a fetch takes about as many bytes of each partition, so the partitions that carry fewer
     * samples a second run ahead in time. The watermark is the newest time that every active
     * partition has reached: one read in the last {@link #ACTIVE} (or {@link #ALIGN_WINDOW}, when
     * records wait in it), and within {@link #ALIGN_WINDOW} of the newest (one further behind,
     * such as a replay of old data, is a stream of its own). One with records waiting, or a lag
     * not known yet, that has not been read since it was sought has reached no time yet, so at
     * the start all partitions begin together. A batch of at least a quarter of max-rows rows is cut there
     * ({@link #handOff}). While the sink is behind (the writer is what limits it, or at least a
     * poll's worth of records waits), batches are cut whatever their size, and the active
     * partitions ahead of the watermark are paused until the slowest catches up (a paused
     * partition that stops counting as active is resumed). Otherwise nothing is paused, and a
     * smaller batch is not cut, so latency under light load is untouched.
     */
    private void align() {
        watermark = Long.MAX_VALUE;
        ahead.clear();
        active.clear();
        long now = policy.now();
        long newest = Long.MIN_VALUE;
        long recordsWaiting = 0;
        for (TopicPartition tp : assigned) {
            if (needSeek.contains(tp) || fencedAt.containsKey(tp)) {
                continue;
            }
            Progress p = progress.get(tp);
            OptionalLong lag = consumer.currentLag(tp);
            // a lag not known yet: the partition's first fetch since it was sought has not come up
            // (the consumer hands out one partition's fetch after another), so records may wait
            boolean waits = lag.isEmpty() || lag.getAsLong() > 0;
            if (lag.isPresent()) {
                recordsWaiting += lag.getAsLong();
            }
            if (p == null) {
                continue;
            }
            long idle = now - p.readAtMs;
            // one not read yet counts once records may wait in it: it has reached no time; one whose
            // lag is still not known after ACTIVE (no fetch of it came up) stops holding the others
            boolean counts = waits && idle <= (lag.isPresent() ? ALIGN_WINDOW : ACTIVE).toMillis()
                    || p.newest != Long.MIN_VALUE && idle <= ACTIVE.toMillis();
            if (counts) {
                active.add(tp);
                newest = Math.max(newest, p.newest);
            }
        }
        behind = writerBound || recordsWaiting >= maxPollRecords;
        for (TopicPartition tp : active) {
            long ts = progress.get(tp).newest;
            if (ts == Long.MIN_VALUE || ts >= newest - ALIGN_WINDOW.toMillis()) {
                watermark = Math.min(watermark, ts);
            }
        }
        // the slowest partition's lag is no guide to whether it will move on: its next records
        // often sit fetched in the consumer, behind another partition's fetch of thousands, and
        // its lag is known only once they come up; one that is simply idle stops counting as
        // active within ACTIVE (ALIGN_WINDOW while its lag says records wait), and with it its
        // hold on the others
        if (!behind) {
            return;
        }
        for (TopicPartition tp : active) {
            if (progress.get(tp).newest > watermark + AHEAD_SLACK_MS) {
                ahead.add(tp);
            }
        }
    }

    /**
     * Says, at once and then at most once a {@link #SKIP_NOTE_INTERVAL}, that samples were skipped
     * for being older than the retention: a replay of old files otherwise stores nothing without a
     * word in the sink's log.
     */
    private void noteSkipped(long now) {
        if (lastSkipNoteMs != Long.MIN_VALUE && now - lastSkipNoteMs < SKIP_NOTE_INTERVAL.toMillis()) {
            return;
        }
        log.warn("sink: skipped {} sample(s) older than sink.retention ({}), the newest of them from {}; they are not"
                + " stored (sink_samples_skipped_total{reason=\"retention\"}). To store such samples, raise"
                + " sink.retention and replay them again", skippedUnnoted,
                Durations.format(Duration.ofMillis(options.retentionMs())),
                Instant.ofEpochMilli(skippedNewestTs));
        lastSkipNoteMs = now;
        skippedUnnoted = 0;
        skippedNewestTs = Long.MIN_VALUE;
    }

    private void deadLetter(TopicPartition tp, ConsumerRecord<byte[], byte[]> rec, String field, String reason,
            long now) {
        DeadLetter d = new DeadLetter(rec.topic(), rec.partition(), rec.offset(), rec.timestamp(), rec.key(),
                rec.value(), rec.headers(), field, reason);
        metrics.deadLetters.labels(d.fieldClass()).inc();
        log.debug("dead letter {}-{}@{}: {}: {}", rec.topic(), rec.partition(), rec.offset(), field, reason);
        building.addDeadLetter(tp, d, now);
    }

    /**
     * Hands the batch to the writer. With {@code cut}, when the batch holds at least a
     * {@link #CUT_FROM_SHARE quarter} of max-rows rows or the sink is behind (see
     * {@link #align()}), each partition's records from its first sample newer than the
     * {@link #watermark} on stay for the next batch. When every row would stay, the batch is held
     * back while the sink is behind (the others are paused, so the slowest partition's records
     * come up next; one that has gone quiet stops counting within {@link #ACTIVE}), and otherwise
     * goes whole, so that a partition that is slow to deliver does not delay the rest under light
     * load. A held batch is looked at again when the watermark or {@link #behind} changes.
     */
    private void handOff(boolean cut) {
        Batch batch = building;
        if (!policy.isFull(batch)) {
            writerBound = false;
        }
        Batch rest = null;
        if (cut && !batch.isClosed() && watermark != Long.MAX_VALUE && batch.size() > 0
                && (behind || (long) CUT_FROM_SHARE * batch.size() >= policy.maxRows())) {
            if (batch == held && watermark == heldAt && behind) {
                return; // still held: nothing it waits for has moved
            }
            int kept = batch.rowsUpTo(watermark);
            int later = batch.size() - kept;
            if (later > 0) {
                if (kept == 0 && behind) {
                    held = batch;
                    heldAt = watermark;
                    return;
                }
                rest = kept == 0 ? null : batch.cutAfter(watermark, policy.maxRows());
            }
        }
        held = null;
        building = rest != null ? rest : newBatch(batch.seriesKeys().size());
        inFlightBatch = batch;
        inFlight = writerThread.submit(() -> writer.write(batch, () -> abandonWrites));
    }

    /** Collects a finished write: metrics, and the Kafka commit. With {@code block}, waits for it. */
    private void reap(boolean block) {
        if (inFlight == null || (!block && !inFlight.isDone())) {
            return;
        }
        try {
            WriteResult r = inFlight.get();
            metrics.committed(r, inFlightBatch);
            onCommit.committed(inFlightBatch, r);
            commitToKafka(r.nextOffsets(), false);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof OffsetStore.Fenced fenced) {
                dropFenced(fenced);
            } else if (!stopping) {
                // the batch is neither written nor to be retried: go back to what PostgreSQL holds, so
                // that nothing after the last stored offset is skipped
                log.error("sink: batch not written; re-reading every partition from its stored offset", e.getCause());
                building = newBatch(16);
                needSeek.addAll(assigned);
                nextSeekAttemptMs = 0;
            } else {
                // stopping: what was read after the failed batch must not be written either (its
                // offsets would pass the failed rows); the next owner reads both from the stored offset
                log.warn("sink: batch not written: {}; nothing read after it is written either",
                        e.getCause().toString());
                building = newBatch(16);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inFlight = null;
            inFlightBatch = null;
        }
    }

    /**
     * The offsets in PostgreSQL refused the batch: another sink claimed one of its partitions (this
     * one was cut off from the group, and Kafka gave them away), or stored past it. Nothing of the
     * batch was written. What was read after it of its partitions is dropped too, and those this
     * consumer still holds are read again from the stored offsets (claimed again: Kafka says they
     * are ours); a partition this sink has lost goes when the next poll says so.
     */
    private void dropFenced(OffsetStore.Fenced fenced) {
        metrics.batchesFenced.inc();
        Set<TopicPartition> batchPartitions = inFlightBatch.nextOffsets().keySet();
        building.removePartitions(batchPartitions);
        int generation = consumer.groupMetadata().generationId();
        for (TopicPartition tp : batchPartitions) {
            if (assigned.contains(tp)) {
                // held back, not claimed again at once: a sink that lost its partitions without being
                // told would take them back from their owner; the rebalance asked for below tells it
                fencedAt.put(tp, generation);
                progress.remove(tp);
            }
        }
        log.warn("sink: {}; the batch ({} rows, offsets {}) is dropped; its partitions wait for a rebalance and are"
                + " then read again from their stored offsets if this sink still holds them", fenced.getMessage(),
                inFlightBatch.size(), inFlightBatch.nextOffsets());
        if (!fencedAt.isEmpty()) {
            consumer.enforceRebalance("a batch was refused by the offsets in PostgreSQL");
        }
    }

    /**
     * Partitions held back after a fenced batch go back to reading (claimed again, from their
     * stored offsets) once a rebalance has completed since, and only if this sink still holds them
     * then: a sink cut off from the group has by then been told it lost them.
     */
    private void releaseFenced() {
        if (fencedAt.isEmpty()) {
            return;
        }
        int generation = consumer.groupMetadata().generationId();
        for (var it = fencedAt.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<TopicPartition, Integer> e = it.next();
            if (!assigned.contains(e.getKey())) {
                it.remove();
            } else if (generation > e.getValue()) {
                it.remove();
                needSeek.add(e.getKey());
                nextSeekAttemptMs = 0;
                log.info("sink: {} is still this sink's after the rebalance; claiming it again", e.getKey());
            }
        }
    }

    private boolean awaitInFlight(Duration max) {
        if (inFlight == null) {
            return true;
        }
        try {
            inFlight.get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            // reaped below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        reap(true);
        return true;
    }

    private void commitToKafka(Map<TopicPartition, Long> nextOffsets, boolean sync) {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        nextOffsets.forEach((tp, off) -> {
            if (assigned.contains(tp)) {
                commit.put(tp, new OffsetAndMetadata(off));
            }
        });
        if (commit.isEmpty()) {
            return;
        }
        try {
            if (sync) {
                consumer.commitSync(commit, Duration.ofSeconds(10));
            } else {
                consumer.commitAsync(commit, (o, e) -> {
                    if (e != null) {
                        log.debug("Kafka offset commit failed (PostgreSQL holds the offsets): {}", e.toString());
                    }
                });
            }
        } catch (RuntimeException e) {
            log.debug("Kafka offset commit failed (PostgreSQL holds the offsets): {}", e.toString());
        }
    }

    /** Claims newly assigned partitions in PostgreSQL and seeks them to the offsets stored there. */
    private void seekPending() {
        if (needSeek.isEmpty() || policy.now() < nextSeekAttemptMs) {
            return;
        }
        Map<TopicPartition, Long> stored;
        try {
            stored = offsets.claim(dataSource, needSeek);
            seekFresh(stored);
        } catch (SQLException | org.apache.kafka.common.KafkaException e) {
            offsetsReadable = false;
            metrics.up.set(0);
            metrics.retries.inc();
            log.warn("sink: cannot read stored offsets for {} ({}); partitions stay paused, retrying in {} ms",
                    needSeek, WriteErrors.describe(e), seekBackoffMs);
            nextSeekAttemptMs = policy.now() + seekBackoffMs;
            seekBackoffMs = Math.min(seekBackoffMs * 2, options.maxBackoff().toMillis());
            return;
        }
        seekBackoffMs = MIN_BACKOFF.toMillis();
        offsetsReadable = true;
        long now = policy.now();
        needSeek.forEach(tp -> progress.put(tp, new Progress(now)));
        needSeek.clear();
    }

    /**
     * Seeks each partition to its stored offset; a partition with none starts at {@code --from}
     * (or the beginning), and that start is stored at once, so a restart before its first batch
     * does not fall back to the beginning.
     */
    private void seekFresh(Map<TopicPartition, Long> stored) throws SQLException {
        Set<TopicPartition> fresh = new HashSet<>();
        for (TopicPartition tp : needSeek) {
            Long off = stored.get(tp);
            if (off != null) {
                consumer.seek(tp, off);
            } else {
                fresh.add(tp);
            }
        }
        if (fresh.isEmpty()) {
            return;
        }
        if (options.startFrom().isPresent()) {
            Map<TopicPartition, Long> query = new HashMap<>();
            fresh.forEach(tp -> query.put(tp, options.startFrom().get().toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, Duration.ofSeconds(30));
            List<TopicPartition> toEnd = new java.util.ArrayList<>();
            for (TopicPartition tp : fresh) {
                OffsetAndTimestamp o = found.get(tp);
                if (o != null) {
                    consumer.seek(tp, o.offset());
                } else {
                    toEnd.add(tp);
                }
            }
            if (!toEnd.isEmpty()) {
                consumer.seekToEnd(toEnd); // an empty list would mean every assigned partition
            }
            log.info("sink: no stored offsets for {}; starting from {}", fresh, options.startFrom().get());
        } else {
            consumer.seekToBeginning(fresh);
            log.info("sink: no stored offsets for {}; starting from the beginning", fresh);
        }
        Map<TopicPartition, Long> starts = new HashMap<>();
        for (TopicPartition tp : fresh) {
            starts.put(tp, consumer.position(tp, Duration.ofSeconds(30)));
        }
        offsets.writeStart(dataSource, starts);
    }

    private void updatePauses() {
        Set<TopicPartition> desired = new HashSet<>(needSeek);
        desired.addAll(fencedAt.keySet());
        if (inFlight != null && policy.isFull(building)) {
            desired.addAll(assigned);
        }
        desired.addAll(ahead);
        desired.retainAll(assigned);
        Set<TopicPartition> toPause = new HashSet<>(desired);
        toPause.removeAll(paused);
        Set<TopicPartition> toResume = new HashSet<>(paused);
        toResume.removeAll(desired);
        toResume.retainAll(assigned);
        if (!toPause.isEmpty()) {
            consumer.pause(toPause);
        }
        if (!toResume.isEmpty()) {
            consumer.resume(toResume);
        }
        paused.clear();
        paused.addAll(desired);
    }

    private void drain() {
        if (!awaitInFlight(options.shutdownTimeout())) {
            abandonWrites = true;
            log.warn("sink: the batch being written did not finish within {}; nothing of it is committed, it will"
                    + " be read again on restart", options.shutdownTimeout());
            inFlight.cancel(true);
            inFlight = null;
            return;
        }
        if (failure.get() == null && !building.isEmpty()) {
            handOff(false);
            if (!awaitInFlight(options.shutdownTimeout())) {
                abandonWrites = true;
                log.warn("sink: last batch not written within {}; nothing of it is committed, it will be read"
                        + " again on restart", options.shutdownTimeout());
                inFlight.cancel(true);
                inFlight = null;
            }
        }
        if (inFlight != null && !awaitInFlight(options.shutdownTimeout())) {
            abandonWrites = true;
            inFlight.cancel(true);
            inFlight = null;
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
            assigned.removeAll(revoked);
            needSeek.removeAll(revoked);
            fencedAt.keySet().removeAll(revoked);
            paused.removeAll(revoked);
            ahead.removeAll(revoked);
            progress.keySet().removeAll(revoked);
            assignedCount = assigned.size();
            log.info("sink: partitions revoked: {}", revoked);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            building.removePartitions(lost);
            assigned.removeAll(lost);
            needSeek.removeAll(lost);
            fencedAt.keySet().removeAll(lost);
            paused.removeAll(lost);
            ahead.removeAll(lost);
            progress.keySet().removeAll(lost);
            assignedCount = assigned.size();
            log.warn("sink: partitions lost: {}", lost);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> added) {
            if (added.isEmpty()) {
                return;
            }
            assigned.addAll(added);
            assignedCount = assigned.size();
            needSeek.addAll(added);
            consumer.pause(added);
            paused.addAll(added);
            nextSeekAttemptMs = 0;
            log.info("sink: partitions assigned: {}", added);
            seekPending();
            updatePauses();
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
        return assignedCount;
    }

    /** False while the last write failed, or the stored offsets cannot be read. */
    public boolean databaseUp() {
        return writer.databaseUp() && offsetsReadable;
    }

    /** What makes writes fail now, when they do. */
    public Optional<String> writeProblem() {
        return writer.problem();
    }

    /** Set when the loop ended on an error rather than {@link #stop()}. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }
}
