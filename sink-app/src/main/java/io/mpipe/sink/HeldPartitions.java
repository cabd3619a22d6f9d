package io.mpipe.sink;

import io.mpipe.sink.align.Alignment;
import io.mpipe.sink.batch.BatchPolicy;
import io.mpipe.sink.offsets.OffsetStore;
import io.mpipe.sink.write.WriteErrors;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this sink holds of each partition the group gave it, and the consumer's position in it:
 * which wait to be claimed in PostgreSQL and sought to the offset stored there, which wait for a
 * rebalance after a fenced batch, which are paused, and how far in time each has been read since
 * it was sought. Used by the loop thread only (the rebalance listener runs on it, inside poll).
 */
final class HeldPartitions {
    private static final Logger log = LoggerFactory.getLogger(HeldPartitions.class);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);

    private final Consumer<byte[], byte[]> consumer;
    private final OffsetStore offsets;
    private final DataSource dataSource;
    private final BatchPolicy policy;
    private final SinkMetrics metrics;
    private final SinkLoop.Options options;

    private final Set<TopicPartition> assigned = new HashSet<>();
    private final Set<TopicPartition> needSeek = new HashSet<>();
    /** Partitions of a fenced batch, and the group generation it was fenced in ({@link #releaseFenced}). */
    private final Map<TopicPartition, Integer> fencedAt = new HashMap<>();
    private final Set<TopicPartition> paused = new HashSet<>();
    /** Of each partition read since it was sought: how far in time, and when it was last read. */
    private final Map<TopicPartition, Progress> progress = new HashMap<>();
    private long nextSeekAttemptMs;
    private long seekBackoffMs = MIN_BACKOFF.toMillis();
    /** False while the stored offsets cannot be read (a seek waits for PostgreSQL). */
    private volatile boolean offsetsReadable = true;
    private volatile int assignedCount;

    HeldPartitions(Consumer<byte[], byte[]> consumer, OffsetStore offsets, DataSource dataSource, BatchPolicy policy,
            SinkMetrics metrics, SinkLoop.Options options) {
        this.consumer = consumer;
        this.offsets = offsets;
        this.dataSource = dataSource;
        this.policy = policy;
        this.metrics = metrics;
        this.options = options;
    }

    /** How far a partition has been read in time, and when (since it was sought). */
    private static final class Progress {
        long newest = Alignment.NOT_READ;
        long readAtMs;

        Progress(long soughtAtMs) {
            readAtMs = soughtAtMs;
        }
    }

    /** Partitions this instance holds now (any thread). */
    int count() {
        return assignedCount;
    }

    /** False while the stored offsets cannot be read (any thread). */
    boolean offsetsReadable() {
        return offsetsReadable;
    }

    boolean holds(TopicPartition tp) {
        return assigned.contains(tp);
    }

    /** Records of this partition are taken: it is neither waiting for a seek nor fenced. */
    boolean readable(TopicPartition tp) {
        return !needSeek.contains(tp) && !fencedAt.containsKey(tp);
    }

    /** Records up to sample time {@code newestTs} were read from the partition. */
    void read(TopicPartition tp, long newestTs, long nowMs) {
        Progress p = progress.get(tp);
        if (p != null) {
            p.newest = Math.max(p.newest, newestTs);
            p.readAtMs = nowMs;
        }
    }

    /** The readable partitions' states, for {@link Alignment#plan}. */
    List<Alignment.PartitionState> states() {
        List<Alignment.PartitionState> states = new ArrayList<>(assigned.size());
        for (TopicPartition tp : assigned) {
            if (!readable(tp)) {
                continue;
            }
            Progress p = progress.get(tp);
            states.add(new Alignment.PartitionState(tp, p != null, p == null ? Alignment.NOT_READ : p.newest,
                    p == null ? 0 : p.readAtMs, consumer.currentLag(tp)));
        }
        return states;
    }

    /** Newly assigned partitions: paused until claimed and sought ({@link #seekPending}). */
    void assigned(Collection<TopicPartition> added) {
        assigned.addAll(added);
        assignedCount = assigned.size();
        needSeek.addAll(added);
        consumer.pause(added);
        paused.addAll(added);
        nextSeekAttemptMs = 0;
    }

    /** Partitions revoked or lost: forgotten. */
    void removed(Collection<TopicPartition> gone) {
        assigned.removeAll(gone);
        needSeek.removeAll(gone);
        fencedAt.keySet().removeAll(gone);
        paused.removeAll(gone);
        progress.keySet().removeAll(gone);
        assignedCount = assigned.size();
    }

    /** Every partition is read again from the offset stored in PostgreSQL. */
    void seekAllAgain() {
        needSeek.addAll(assigned);
        nextSeekAttemptMs = 0;
    }

    /**
     * Holds back the partitions of a fenced batch that this sink still holds until the group's
     * generation passes {@code generation}; true when any is held back.
     */
    boolean fence(Collection<TopicPartition> partitions, int generation) {
        for (TopicPartition tp : partitions) {
            if (assigned.contains(tp)) {
                // held back, not claimed again at once: a sink that lost its partitions without being
                // told would take them back from their owner; the rebalance the loop asks for tells it
                fencedAt.put(tp, generation);
                progress.remove(tp);
            }
        }
        return !fencedAt.isEmpty();
    }

    /**
     * Partitions held back after a fenced batch go back to reading (claimed again, from their
     * stored offsets) once a rebalance has completed since, and only if this sink still holds them
     * then: a sink cut off from the group has by then been told it lost them.
     */
    void releaseFenced() {
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

    /** Claims newly assigned partitions in PostgreSQL and seeks them to the offsets stored there. */
    void seekPending() {
        if (needSeek.isEmpty() || policy.now() < nextSeekAttemptMs) {
            return;
        }
        try {
            seekFresh(offsets.claim(dataSource, needSeek));
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
            List<TopicPartition> toEnd = new ArrayList<>();
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

    /**
     * Pauses what waits (a seek, a rebalance after a fenced batch), everything when {@code all}
     * (a full batch waits for a busy writer), and {@code ahead} (running ahead in time); resumes
     * the rest.
     */
    void updatePauses(boolean all, Set<TopicPartition> ahead) {
        Set<TopicPartition> desired = new HashSet<>(needSeek);
        desired.addAll(fencedAt.keySet());
        if (all) {
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

    /**
     * Commits the offsets PostgreSQL committed to Kafka too, for the partitions still held, so lag
     * tools see progress; a failure only costs lag tools a moment (PostgreSQL holds the offsets).
     */
    void commitToKafka(Map<TopicPartition, Long> nextOffsets) {
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
            consumer.commitAsync(commit, (o, e) -> {
                if (e != null) {
                    log.debug("Kafka offset commit failed (PostgreSQL holds the offsets): {}", e.toString());
                }
            });
        } catch (RuntimeException e) {
            log.debug("Kafka offset commit failed (PostgreSQL holds the offsets): {}", e.toString());
        }
    }
}
