package io.mpipe.sink.batch;

import io.mpipe.common.metric.Metric;
import io.mpipe.sink.dlq.DeadLetter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntToLongFunction;
import org.apache.kafka.common.TopicPartition;

/**
 * The records consumed since the last hand-off: samples to store, dead letters to send, and per
 * partition the offset to store once they are in. Pure data; no I/O, no clock.
 *
 * <p>Rows are kept as primitive columns with an index into the batch's distinct series, and the
 * time partitions they fall in are tracked as rows arrive, so the writer, whose time is the
 * database's idle time, has only lookups left to do.
 *
 * <p>Offsets advance for every record consumed, stored or not (a dead letter, a sample past
 * retention), so the stored offset always says "everything before this is done".
 */
public final class Batch {
    private final long partitionIntervalMs;
    private long[] timestamps;
    private long[] offsets;
    private double[] values;
    private int[] seriesOf;
    private int[] partitionOf;
    private int size;
    private final List<String> seriesKeys = new ArrayList<>();
    private final Map<String, Integer> seriesIndex;
    /** Per series (by index), the newest timestamp of its rows. */
    private long[] seriesNewest;
    private final Set<Long> partitionStarts = new HashSet<>();
    private long lastPartitionStart = Long.MIN_VALUE;
    /** Starts of the time partitions known to exist; the others are new, and counted. */
    private final Set<Long> existing;
    private int newPartitions;
    /** Set when a record had to wait for the next batch: this one takes nothing more of its kind. */
    private boolean closed;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final Map<TopicPartition, Integer> partitionIndex = new HashMap<>();
    /** Per partition (by index), the next offset to consume; -1 for one with nothing consumed (or dropped). */
    private long[] nextOffsets = new long[8];
    /** Per partition (by index), the first offset consumed; meaningful where {@link #nextOffsets} is not -1. */
    private long[] firstOffsets = new long[8];
    private int consumedPartitions;
    /** The partition of the last record added: records come in runs of one partition. */
    private TopicPartition lastPartition;
    private int lastPartitionIndex;
    private final List<DeadLetter> deadLetters = new ArrayList<>();
    private long skippedRetention;
    private boolean deadLettersPublished;
    private long createdAtMs = -1;
    private long newestTimestamp = Long.MIN_VALUE;

    /**
     * @param expectedRows        initial capacity
     * @param partitionIntervalMs width of the table's time partitions, to track which ones the rows need
     */
    public Batch(int expectedRows, long partitionIntervalMs) {
        this(expectedRows, 16, partitionIntervalMs, Set.of());
    }

    /** A batch that counts every partition its rows need as new. */
    public Batch(int expectedRows, int expectedSeries, long partitionIntervalMs) {
        this(expectedRows, expectedSeries, partitionIntervalMs, Set.of());
    }

    /**
     * @param expectedRows        initial capacity
     * @param expectedSeries      distinct series expected (the last batch's count), so the index of
     *                            them is not rehashed as it fills
     * @param partitionIntervalMs width of the table's time partitions, to track which ones the rows need
     * @param existing            starts of the partitions known to exist (a live view may change
     *                            while the batch fills); the rows' other partitions are counted as new
     */
    public Batch(int expectedRows, int expectedSeries, long partitionIntervalMs, Set<Long> existing) {
        int cap = Math.max(16, expectedRows);
        seriesIndex = new HashMap<>((int) (Math.min(Math.max(16, expectedSeries), cap) / 0.75f) + 1);
        seriesNewest = new long[Math.min(Math.max(16, expectedSeries), cap)];
        this.partitionIntervalMs = partitionIntervalMs;
        this.existing = existing;
        timestamps = new long[cap];
        offsets = new long[cap];
        values = new double[cap];
        seriesOf = new int[cap];
        partitionOf = new int[cap];
    }

    private int indexOf(TopicPartition tp) {
        if (tp == lastPartition) {
            return lastPartitionIndex;
        }
        Integer i = partitionIndex.get(tp);
        if (i == null) {
            i = partitions.size();
            partitions.add(tp);
            partitionIndex.put(tp, i);
            if (i == nextOffsets.length) {
                nextOffsets = Arrays.copyOf(nextOffsets, 2 * i);
                firstOffsets = Arrays.copyOf(firstOffsets, 2 * i);
            }
            nextOffsets[i] = -1;
        }
        lastPartition = tp;
        lastPartitionIndex = i;
        return i;
    }

    private void advance(int partition, long offset, long nowMs) {
        if (createdAtMs < 0) {
            createdAtMs = nowMs;
        }
        long next = nextOffsets[partition];
        if (next < 0) {
            consumedPartitions++;
            firstOffsets[partition] = offset;
        }
        nextOffsets[partition] = Math.max(next, offset + 1);
    }

    /** Adds a sample consumed at {@code offset} of {@code tp}. */
    public void add(TopicPartition tp, long offset, Metric metric, String seriesKey, long nowMs) {
        add(tp, offset, seriesKey, metric.timestamp(), metric.value(), nowMs);
    }

    /** Adds a sample of the series {@code seriesKey} consumed at {@code offset} of {@code tp}. */
    public void add(TopicPartition tp, long offset, String seriesKey, long ts, double value, long nowMs) {
        if (size == timestamps.length) {
            int cap = size * 2;
            timestamps = Arrays.copyOf(timestamps, cap);
            offsets = Arrays.copyOf(offsets, cap);
            values = Arrays.copyOf(values, cap);
            seriesOf = Arrays.copyOf(seriesOf, cap);
            partitionOf = Arrays.copyOf(partitionOf, cap);
        }
        Integer s = seriesIndex.get(seriesKey);
        if (s == null) {
            s = seriesKeys.size();
            seriesKeys.add(seriesKey);
            seriesIndex.put(seriesKey, s);
            if (s == seriesNewest.length) {
                seriesNewest = Arrays.copyOf(seriesNewest, 2 * s);
            }
            seriesNewest[s] = ts;
        } else if (ts > seriesNewest[s]) {
            seriesNewest[s] = ts;
        }
        long start = Math.floorDiv(ts, partitionIntervalMs) * partitionIntervalMs;
        if (start != lastPartitionStart) {
            if (partitionStarts.add(start) && !existing.contains(start)) {
                newPartitions++;
            }
            lastPartitionStart = start;
        }
        int partition = indexOf(tp);
        timestamps[size] = ts;
        offsets[size] = offset;
        values[size] = value;
        seriesOf[size] = s;
        partitionOf[size] = partition;
        size++;
        newestTimestamp = Math.max(newestTimestamp, ts);
        advance(partition, offset, nowMs);
    }

    /**
     * True when a sample at {@code ts} would need a time partition this batch has not counted yet
     * and that is not known to exist.
     */
    public boolean needsNewPartition(long ts) {
        long start = Math.floorDiv(ts, partitionIntervalMs) * partitionIntervalMs;
        return start != lastPartitionStart && !partitionStarts.contains(start) && !existing.contains(start);
    }

    /** Time partitions the rows need that were not known to exist when they were added. */
    public int newPartitions() {
        return newPartitions;
    }

    /**
     * Marks the batch as one a record had to wait after (it would have created one partition too
     * many): it is due at once, and it is not held back for the time order.
     */
    public void close() {
        closed = true;
    }

    public boolean isClosed() {
        return closed;
    }

    /** A record that goes to the dead-letter topic instead. */
    public void addDeadLetter(TopicPartition tp, DeadLetter letter, long nowMs) {
        int partition = indexOf(tp);
        deadLetters.add(letter);
        advance(partition, letter.offset(), nowMs);
    }

    /** A sample older than retention: counted, its offset passed, not stored. */
    public void skipExpired(TopicPartition tp, long offset, long nowMs) {
        int partition = indexOf(tp);
        skippedRetention++;
        advance(partition, offset, nowMs);
    }

    /**
     * Drops everything from {@code revoked} partitions: they are not written at all, and their
     * new owner starts from the offset stored with the last batch that was. (Series and time
     * partitions seen only in dropped rows may still be created; both are harmless.)
     */
    public void removePartitions(Collection<TopicPartition> revoked) {
        boolean any = false;
        for (TopicPartition tp : revoked) {
            any |= partitionIndex.containsKey(tp);
        }
        if (!any) {
            return;
        }
        int w = 0;
        for (int r = 0; r < size; r++) {
            if (!revoked.contains(partitions.get(partitionOf[r]))) {
                moveRow(r, w++);
            }
        }
        size = w;
        deadLetters.removeIf(d -> revoked.contains(new TopicPartition(d.topic(), d.partition())));
        for (TopicPartition tp : revoked) {
            Integer i = partitionIndex.get(tp);
            if (i != null && nextOffsets[i] >= 0) {
                nextOffsets[i] = -1;
                consumedPartitions--;
            }
        }
        newestTimestamp = newest(timestamps, size);
        if (consumedPartitions == 0) {
            createdAtMs = -1;
        }
    }

    /** Copies row {@code from} over row {@code to} (to compact the rows kept). */
    private void moveRow(int from, int to) {
        timestamps[to] = timestamps[from];
        offsets[to] = offsets[from];
        values[to] = values[from];
        seriesOf[to] = seriesOf[from];
        partitionOf[to] = partitionOf[from];
    }

    private static long newest(long[] timestamps, int size) {
        long newest = Long.MIN_VALUE;
        for (int i = 0; i < size; i++) {
            newest = Math.max(newest, timestamps[i]);
        }
        return newest;
    }

    /**
     * Rows that would stay after {@link #cutAfter(long) cutAfter(watermark)}: of each partition,
     * the rows before its first sample newer than {@code watermark}.
     */
    public int rowsUpTo(long watermark) {
        long[] cut = cutOffsets(watermark);
        int kept = 0;
        for (int r = 0; r < size; r++) {
            if (offsets[r] < cut[partitionOf[r]]) {
                kept++;
            }
        }
        return kept;
    }

    /**
     * Of each partition, the offset of its first sample newer than {@code watermark}
     * ({@link Long#MAX_VALUE} when it has none), by the partition's index.
     */
    private long[] cutOffsets(long watermark) {
        long[] cut = new long[partitions.size()];
        Arrays.fill(cut, Long.MAX_VALUE);
        for (int r = 0; r < size; r++) {
            int p = partitionOf[r];
            if (timestamps[r] > watermark && offsets[r] < cut[p]) {
                cut[p] = offsets[r];
            }
        }
        return cut;
    }

    /**
     * Moves, of each partition, everything from its first sample newer than {@code watermark}
     * on (samples, dead letters, the offsets consumed) to a new batch, and returns it; or returns
     * null, changing nothing, when no sample is newer ({@code expectedRows}: the new batch's
     * initial capacity). This batch's offsets then stop just before
     * what moved, so it can be written and committed on its own, and the new batch after it.
     *
     * <p>Why: the samples' primary key starts with the timestamp, so a row older than the rows
     * already written descends the index from its root, where a newer one is appended at its right
     * edge. When the sink reads a backlog, some partitions run ahead of others in time; cutting
     * every batch at a time all of them have reached keeps each batch newer than the last. Offsets
     * cut per partition in consumption order; a partition's records after the cut move, whatever
     * their own timestamps. Skipped samples stay counted in this batch.
     */
    public Batch cutAfter(long watermark, int expectedRows) {
        long[] cut = cutOffsets(watermark);
        boolean any = false;
        for (long c : cut) {
            any |= c != Long.MAX_VALUE;
        }
        if (!any) {
            return null;
        }
        Batch rest = new Batch(expectedRows, seriesKeys.size(), partitionIntervalMs, existing);
        int w = 0;
        for (int r = 0; r < size; r++) {
            int p = partitionOf[r];
            if (offsets[r] < cut[p]) {
                moveRow(r, w++);
            } else {
                rest.add(partitions.get(p), offsets[r], seriesKeys.get(seriesOf[r]), timestamps[r], values[r],
                        createdAtMs);
            }
        }
        size = w;
        for (Iterator<DeadLetter> it = deadLetters.iterator(); it.hasNext(); ) {
            DeadLetter d = it.next();
            TopicPartition tp = new TopicPartition(d.topic(), d.partition());
            if (d.offset() >= cut[partitionIndex.get(tp)]) {
                rest.addDeadLetter(tp, d, createdAtMs);
                it.remove();
            }
        }
        for (int p = 0; p < cut.length; p++) {
            if (cut[p] != Long.MAX_VALUE) {
                int r = rest.indexOf(partitions.get(p));
                rest.advance(r, nextOffsets[p] - 1, createdAtMs);
                rest.firstOffsets[r] = cut[p];
                nextOffsets[p] = cut[p];
            }
        }
        newestTimestamp = newest(timestamps, size);
        return rest;
    }

    /** Rows to store. */
    public int size() {
        return size;
    }

    /** True when nothing was consumed: no rows, no dead letters, no skipped samples. */
    public boolean isEmpty() {
        return consumedPartitions == 0;
    }

    public long timestamp(int row) {
        return timestamps[row];
    }

    public double value(int row) {
        return values[row];
    }

    /**
     * The rows in the order of the samples' primary key, (timestamp, series id), given the id of
     * each series of {@link #seriesKeys()}; rows of one key stay in the order they came. A batch
     * holds runs of several partitions, each in time order, interleaved, and many series may share
     * a millisecond (a scrape stamps all its series alike). Written in key order, every row goes
     * to the right edge of the time-first index, where PostgreSQL appends without descending the
     * tree. In time order alone, a row of the same millisecond as the first row of the rightmost
     * index page but of a lower series id belongs before that page, and descends from the root.
     */
    public int[] rowsInKeyOrder(long[] seriesIds) {
        long[] keys = new long[size];
        int[] run = new int[size];
        int[] order = inTimeOrder(keys, run);
        for (int from = 0, to; from < size; from = to) {
            long ts = timestamps[order[from]];
            to = from + 1;
            while (to < size && timestamps[order[to]] == ts) {
                to++;
            }
            sortStable(order, from, to, row -> seriesIds[seriesOf[row]], keys, run);
        }
        return order;
    }

    /** The rows in timestamp order (rows of one millisecond in the order they came). */
    int[] rowsInTimeOrder() {
        return inTimeOrder(new long[size], new int[size]);
    }

    private int[] inTimeOrder(long[] keys, int[] run) {
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        sortStable(order, 0, size, row -> timestamps[row], keys, run);
        return order;
    }

    /**
     * Sorts the rows {@code order[from, to)} by {@code key}, stable, with {@code keys} and
     * {@code run} as scratch (each at least {@code to - from} long). When each key's offset from the
     * smallest fits in a long beside the row's place in the run (timestamps from 1970 to 2100 are
     * under 2^42 ms: up to 2^21 rows of any span), they are sorted as primitives; otherwise (a batch
     * of millions of rows decades apart) as objects.
     */
    private static void sortStable(int[] order, int from, int to, IntToLongFunction key, long[] keys, int[] run) {
        int n = to - from;
        if (n < 2) {
            return;
        }
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int k = 0; k < n; k++) {
            run[k] = order[from + k];
            long v = key.applyAsLong(run[k]);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        int posBits = 32 - Integer.numberOfLeadingZeros(n);
        long span = max - min; // negative when it overflows
        if (span < 0 || span >= 1L << (63 - posBits)) {
            Integer[] boxed = new Integer[n];
            for (int k = 0; k < n; k++) {
                boxed[k] = run[k];
            }
            Arrays.sort(boxed, (x, y) -> Long.compare(key.applyAsLong(x), key.applyAsLong(y))); // stable
            for (int k = 0; k < n; k++) {
                order[from + k] = boxed[k];
            }
            return;
        }
        for (int k = 0; k < n; k++) {
            keys[k] = (key.applyAsLong(run[k]) - min) << posBits | k;
        }
        Arrays.sort(keys, 0, n);
        int mask = (1 << posBits) - 1;
        for (int k = 0; k < n; k++) {
            order[from + k] = run[(int) (keys[k] & mask)];
        }
    }

    /** The topic partition the row was consumed from. */
    public TopicPartition topicPartitionOf(int row) {
        return partitions.get(partitionOf[row]);
    }

    /** The offset the row was consumed at. */
    public long offset(int row) {
        return offsets[row];
    }

    /** Index of the row's series in {@link #seriesKeys()}. */
    public int seriesOf(int row) {
        return seriesOf[row];
    }

    /**
     * Per series of {@link #seriesKeys()}, the newest timestamp of its rows (after a cut or a
     * revocation it may be that of a row no longer in the batch: never older than the newest row).
     */
    public long[] seriesNewest() {
        return seriesNewest;
    }

    /** The distinct series of the batch, in order of first appearance. */
    public List<String> seriesKeys() {
        return seriesKeys;
    }

    /** Starts (epoch ms) of the time partitions the rows fall in. */
    public Set<Long> partitionStarts() {
        return partitionStarts;
    }

    /** Next offset to consume per partition, as stored with the batch. */
    /** Per partition consumed, the first offset the batch covers. */
    public Map<TopicPartition, Long> firstOffsets() {
        Map<TopicPartition, Long> m = new HashMap<>();
        for (int i = 0; i < partitions.size(); i++) {
            if (nextOffsets[i] >= 0) {
                m.put(partitions.get(i), firstOffsets[i]);
            }
        }
        return m;
    }

    public Map<TopicPartition, Long> nextOffsets() {
        Map<TopicPartition, Long> m = new HashMap<>();
        for (int i = 0; i < partitions.size(); i++) {
            if (nextOffsets[i] >= 0) {
                m.put(partitions.get(i), nextOffsets[i]);
            }
        }
        return Map.copyOf(m);
    }

    public List<DeadLetter> deadLetters() {
        return List.copyOf(deadLetters);
    }

    /** True once the dead letters reached the DLQ topic (a retried batch does not send them again). */
    public boolean deadLettersPublished() {
        return deadLettersPublished;
    }

    public void markDeadLettersPublished() {
        deadLettersPublished = true;
    }

    public long skippedRetention() {
        return skippedRetention;
    }

    /** Timestamp of the newest sample, or {@link Long#MIN_VALUE} when there is none. */
    public long newestTimestamp() {
        return newestTimestamp;
    }

    /** When the first record was added (the clock of the caller), or -1 when empty. */
    public long createdAtMs() {
        return createdAtMs;
    }
}
