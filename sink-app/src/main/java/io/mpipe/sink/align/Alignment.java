package io.mpipe.sink.align;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.LongToIntFunction;
import org.apache.kafka.common.TopicPartition;

/**
 * The sink's time-order rules, as pure decisions: partition states in, "pause these, cut here" out.
 *
 * <p>The samples' primary key starts with the timestamp: a row newer than every row written is
 * appended at the index's right edge, an older one descends it from the root, which costs
 * PostgreSQL several times as much. The partitions are read to different times: a batch that
 * fills up in the middle of a fetch has read some further than others, and while records wait, a
 * fetch takes about as many bytes of each partition, so the partitions that carry fewer samples a
 * second run ahead in time.
 *
 * <p>{@link #plan} finds the <em>watermark</em>, the newest time that every active partition has
 * reached: one read in the last {@link #ACTIVE} (or {@link #ALIGN_WINDOW}, when records wait in
 * it), and within {@link #ALIGN_WINDOW} of the newest (one further behind, such as a replay of old
 * data, is a stream of its own). One with records waiting, or a lag not known yet, that has not
 * been read since it was sought has reached no time yet, so at the start all partitions begin
 * together. While the sink is <em>behind</em> (the writer is what limits it, or at least a poll's
 * worth of records waits), the active partitions ahead of the watermark are paused until the
 * slowest catches up (a paused partition that stops counting as active is resumed). Otherwise
 * nothing is paused.
 *
 * <p>{@link #handOff} decides what of a due batch goes to the writer: a batch of at least a
 * {@link #CUT_FROM_SHARE quarter} of max-rows rows, or any batch while the sink is behind, is cut
 * at the watermark (each partition's records from its first sample newer than it stay for the next
 * batch); a smaller batch under light load is not cut, so its latency is untouched.
 */
public final class Alignment {
    /**
     * A partition whose newest sample is older than the newest of the active partitions by more
     * than this is left out of the alignment (a replay of old data, a stuck source): it is a
     * stream of its own, neither held back nor holding the others back.
     */
    public static final Duration ALIGN_WINDOW = Duration.ofSeconds(10);
    /**
     * A partition not read for this long, and with no records waiting (or not read for
     * {@link #ALIGN_WINDOW} with records known to wait), no longer holds the watermark back: it is
     * idle, not slow, and the others are not paused for it; nor does one whose lag is still not
     * known this long after it was sought (no fetch of it came up).
     */
    public static final Duration ACTIVE = Duration.ofSeconds(1);
    /** How far in time a partition may run ahead of the watermark before it is paused. */
    public static final long AHEAD_SLACK_MS = 20;
    /**
     * A batch of at least 1/{@value} of max-rows rows is cut at the watermark even while the sink
     * keeps up: near its capacity it keeps up with batches of a few thousand rows, handed off as
     * soon as the writer is free, and partitions read to times some milliseconds apart put a third
     * to two thirds of the next batch's rows behind the last one's newest. A smaller batch (light
     * load) is not cut, so its latency is untouched.
     */
    public static final int CUT_FROM_SHARE = 4;

    /** No sample time read yet. */
    public static final long NOT_READ = Long.MIN_VALUE;

    private Alignment() {
    }

    /**
     * One readable partition (not waiting for a seek or a rebalance) as the loop sees it.
     *
     * @param tp the partition
     * @param sought false while it has not been sought since it was assigned: it counts only for the
     *     records waiting
     * @param newest the newest sample time read from it since it was sought, or {@link #NOT_READ}
     * @param readAtMs when it was last read (or sought, when it has not been read since)
     * @param lag its lag, when the consumer knows it
     */
    public record PartitionState(TopicPartition tp, boolean sought, long newest, long readAtMs, OptionalLong lag) {
        public static PartitionState of(TopicPartition tp, long newest, long readAtMs, long lag) {
            return new PartitionState(tp, true, newest, readAtMs, OptionalLong.of(lag));
        }
    }

    /**
     * The decision: cut at {@code watermark} ({@link Long#MAX_VALUE} when no partition is active),
     * whether the sink is behind, and the partitions to pause for running ahead of the watermark.
     */
    public record Plan(long watermark, boolean behind, Set<TopicPartition> ahead) {
        public static final Plan NONE = new Plan(Long.MAX_VALUE, false, Set.of());

        public boolean hasWatermark() {
            return watermark != Long.MAX_VALUE;
        }

        /** The same plan without pausing {@code gone} (partitions revoked or lost). */
        public Plan without(java.util.Collection<TopicPartition> gone) {
            if (ahead.isEmpty()) {
                return this;
            }
            Set<TopicPartition> left = new HashSet<>(ahead);
            left.removeAll(gone);
            return new Plan(watermark, behind, left);
        }
    }

    /**
     * The plan for these partitions at {@code now}.
     *
     * @param writerBound a full batch waited for a busy writer since the last batch that was not
     *     full was handed off
     * @param maxPollRecords records a poll returns at most: at least this many waiting means behind
     */
    public static Plan plan(long now, Collection<PartitionState> partitions, boolean writerBound, int maxPollRecords) {
        long newest = Long.MIN_VALUE;
        long recordsWaiting = 0;
        java.util.List<PartitionState> active = new java.util.ArrayList<>(partitions.size());
        for (PartitionState p : partitions) {
            // a lag not known yet: the partition's first fetch since it was sought has not come up
            // (the consumer hands out one partition's fetch after another), so records may wait
            boolean waits = p.lag().isEmpty() || p.lag().getAsLong() > 0;
            if (p.lag().isPresent()) {
                recordsWaiting += p.lag().getAsLong();
            }
            if (!p.sought()) {
                continue;
            }
            long idle = now - p.readAtMs();
            // one not read yet counts once records may wait in it: it has reached no time; one whose
            // lag is still not known after ACTIVE (no fetch of it came up) stops holding the others
            boolean counts = waits && idle <= (p.lag().isPresent() ? ALIGN_WINDOW : ACTIVE).toMillis()
                    || p.newest() != NOT_READ && idle <= ACTIVE.toMillis();
            if (counts) {
                active.add(p);
                newest = Math.max(newest, p.newest());
            }
        }
        boolean behind = writerBound || recordsWaiting >= maxPollRecords;
        long watermark = Long.MAX_VALUE;
        for (PartitionState p : active) {
            if (p.newest() == NOT_READ || p.newest() >= newest - ALIGN_WINDOW.toMillis()) {
                watermark = Math.min(watermark, p.newest());
            }
        }
        // the slowest partition's lag is no guide to whether it will move on: its next records
        // often sit fetched in the consumer, behind another partition's fetch of thousands, and
        // its lag is known only once they come up; one that is simply idle stops counting as
        // active within ACTIVE (ALIGN_WINDOW while its lag says records wait), and with it its
        // hold on the others
        if (!behind) {
            return new Plan(watermark, false, Set.of());
        }
        Set<TopicPartition> ahead = new HashSet<>();
        for (PartitionState p : active) {
            if (p.newest() > watermark + AHEAD_SLACK_MS) {
                ahead.add(p.tp());
            }
        }
        return new Plan(watermark, true, ahead);
    }

    /** What to do with a due batch. */
    public enum HandOff {
        /** Hand it to the writer as it is. */
        WHOLE,
        /** Hand over its rows up to the watermark; the rest stay for the next batch. */
        CUT,
        /**
         * Keep it: every row is newer than the watermark and the sink is behind, or it was held at
         * this watermark before and the sink is still behind.
         */
        HOLD
    }

    /**
     * What of a batch to hand off. When every row would stay, the batch is held back while the sink
     * is behind (the others are paused, so the slowest partition's records come up next; one that
     * has gone quiet stops counting within {@link #ACTIVE}), and otherwise goes whole, so that a
     * partition that is slow to deliver does not delay the rest under light load.
     *
     * @param plan the current plan
     * @param cut false to hand off the batch whole whatever the plan (the last batch at shutdown)
     * @param rows the batch's rows
     * @param maxRows a full batch's rows
     * @param closed the batch takes no more rows (it is handed off whole)
     * @param heldAtThisWatermark the batch was held back before, at this plan's watermark
     * @param rowsUpTo the batch's rows at or before a time
     */
    public static HandOff handOff(Plan plan, boolean cut, int rows, int maxRows, boolean closed,
            boolean heldAtThisWatermark, LongToIntFunction rowsUpTo) {
        if (!cut || closed || !plan.hasWatermark() || rows == 0
                || !(plan.behind() || (long) CUT_FROM_SHARE * rows >= maxRows)) {
            return HandOff.WHOLE;
        }
        if (heldAtThisWatermark && plan.behind()) {
            return HandOff.HOLD; // still held: nothing it waits for has moved
        }
        int kept = rowsUpTo.applyAsInt(plan.watermark());
        if (kept == rows) {
            return HandOff.WHOLE;
        }
        if (kept == 0) {
            return plan.behind() ? HandOff.HOLD : HandOff.WHOLE;
        }
        return HandOff.CUT;
    }
}
