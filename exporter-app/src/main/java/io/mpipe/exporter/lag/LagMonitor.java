package io.mpipe.exporter.lag;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Measures consumer lag through the Admin API: per group, topic and partition the committed
 * offset, the log-end offset, the lag in records (never negative), and the lag in seconds,
 * measured: now minus the timestamp of the record at the committed offset, which is read (0 when
 * caught up). Not interpolated, so a group reading year-old replayed data shows a year, and a
 * paused group's seconds grow with the clock.
 *
 * <p>Cost per poll: one list, one describe, one offsets fetch for all groups, one log-end lookup,
 * and a read of one record per partition and committed offset that moved since the last poll (the
 * timestamp at an offset does not change, so it is cached), bounded by the probe timeout.
 *
 * <p>Groups with no active member stay listed with their state. Not thread-safe: one poller.
 */
public final class LagMonitor implements AutoCloseable {
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(15);

    private final Admin admin;
    private final Supplier<Consumer<byte[], byte[]>> probes;
    private final LagSettings settings;
    private final Clock clock;
    private Consumer<byte[], byte[]> probe;
    /** Record timestamps by partition and offset (the committed offsets of the last poll). */
    private Map<TopicPartition, Map<Long, Long>> timestamps = new HashMap<>();

    public LagMonitor(Admin admin, Supplier<Consumer<byte[], byte[]>> probes, LagSettings settings, Clock clock) {
        this.admin = admin;
        this.probes = probes;
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * One poll.
     *
     * @throws LagException when the broker does not answer within the Admin timeout
     */
    public LagSnapshot poll() {
        try {
            return pollOnce();
        } catch (ExecutionException | TimeoutException e) {
            throw new LagException("polling consumer lag: " + (e.getCause() != null ? e.getCause() : e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LagException("interrupted", e);
        }
    }

    private LagSnapshot pollOnce() throws ExecutionException, InterruptedException, TimeoutException {
        List<String> groupIds = new ArrayList<>();
        for (GroupListing g : admin.listGroups(ListGroupsOptions.forConsumerGroups()).all()
                .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            if (settings.watches(g.groupId())) {
                groupIds.add(g.groupId());
            }
        }
        groupIds.sort(Comparator.naturalOrder());
        if (groupIds.isEmpty()) {
            return new LagSnapshot(clock.millis(), List.of());
        }
        Map<String, ConsumerGroupDescription> descriptions = admin.describeConsumerGroups(groupIds).all()
                .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        Map<String, ListConsumerGroupOffsetsSpec> specs = new LinkedHashMap<>();
        groupIds.forEach(g -> specs.put(g, new ListConsumerGroupOffsetsSpec()));
        Map<String, Map<TopicPartition, OffsetAndMetadata>> committed = admin.listConsumerGroupOffsets(specs).all()
                .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);

        Set<TopicPartition> partitions = new HashSet<>();
        committed.values().forEach(m -> m.forEach((tp, o) -> {
            if (o != null) {
                partitions.add(tp);
            }
        }));
        Map<TopicPartition, Long> logEnd = new HashMap<>();
        if (!partitions.isEmpty()) {
            Map<TopicPartition, OffsetSpec> q = new HashMap<>();
            partitions.forEach(tp -> q.put(tp, OffsetSpec.latest()));
            ListOffsetsResult result = admin.listOffsets(q);
            for (TopicPartition tp : partitions) {
                try {
                    logEnd.put(tp, result.partitionResult(tp).get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                            .offset());
                } catch (ExecutionException e) {
                    // a deleted topic a group still has offsets for: left out, the rest goes on
                }
            }
        }

        // which (partition, committed offset) need a record timestamp
        Map<TopicPartition, Set<Long>> needed = new HashMap<>();
        for (Map<TopicPartition, OffsetAndMetadata> m : committed.values()) {
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : m.entrySet()) {
                if (e.getValue() == null || !logEnd.containsKey(e.getKey())) {
                    continue;
                }
                long off = e.getValue().offset();
                if (off < logEnd.get(e.getKey())) {
                    needed.computeIfAbsent(e.getKey(), k -> new HashSet<>()).add(off);
                }
            }
        }
        Map<TopicPartition, Map<Long, Long>> found = readTimestamps(needed);
        long now = clock.millis();

        List<LagSnapshot.Group> groups = new ArrayList<>();
        for (String g : groupIds) {
            ConsumerGroupDescription d = descriptions.get(g);
            Map<TopicPartition, String> owner = new HashMap<>();
            if (d != null) {
                for (MemberDescription md : d.members()) {
                    md.assignment().topicPartitions().forEach(tp -> owner.put(tp, md.consumerId()));
                }
            }
            List<LagSnapshot.Partition> rows = new ArrayList<>();
            long sum = 0;
            long max = 0;
            double maxSeconds = Double.NaN;
            Map<TopicPartition, OffsetAndMetadata> offsets = committed.getOrDefault(g, Map.of());
            List<TopicPartition> sorted = new ArrayList<>(offsets.keySet());
            sorted.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
            for (TopicPartition tp : sorted) {
                OffsetAndMetadata o = offsets.get(tp);
                Long end = logEnd.get(tp);
                if (o == null || end == null) {
                    continue;
                }
                long lag = Math.max(0, end - o.offset());
                double seconds;
                if (lag == 0) {
                    seconds = 0;
                } else {
                    Long ts = found.getOrDefault(tp, Map.of()).get(o.offset());
                    seconds = ts == null ? Double.NaN : Math.max(0, now - ts) / 1000.0;
                }
                rows.add(new LagSnapshot.Partition(tp.topic(), tp.partition(), o.offset(), end, lag, seconds,
                        owner.getOrDefault(tp, "-")));
                sum += lag;
                max = Math.max(max, lag);
                if (!Double.isNaN(seconds)) {
                    maxSeconds = Double.isNaN(maxSeconds) ? seconds : Math.max(maxSeconds, seconds);
                }
            }
            String state = d == null ? "UNKNOWN" : String.valueOf(d.groupState());
            int members = d == null ? 0 : d.members().size();
            groups.add(new LagSnapshot.Group(g, state, members, rows, sum, max, maxSeconds));
        }
        return new LagSnapshot(now, groups);
    }

    /**
     * Timestamps of the records at the given offsets: from the cache, else read with the probe
     * consumer (the first record at or after the offset: the one the group reads next). Where
     * several groups sit at different offsets of one partition, each offset is read, in rounds:
     * round k seeks every partition to its k-th offset. All rounds share the probe timeout.
     */
    private Map<TopicPartition, Map<Long, Long>> readTimestamps(Map<TopicPartition, Set<Long>> needed) {
        Map<TopicPartition, Map<Long, Long>> result = new HashMap<>();
        Map<TopicPartition, List<Long>> toRead = new HashMap<>();
        for (Map.Entry<TopicPartition, Set<Long>> e : needed.entrySet()) {
            Map<Long, Long> cached = timestamps.getOrDefault(e.getKey(), Map.of());
            for (long off : e.getValue()) {
                Long ts = cached.get(off);
                if (ts != null) {
                    result.computeIfAbsent(e.getKey(), k -> new HashMap<>()).put(off, ts);
                } else {
                    toRead.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(off);
                }
            }
        }
        if (!toRead.isEmpty()) {
            if (probe == null) {
                probe = probes.get();
            }
            long deadline = System.nanoTime() + settings.probeTimeout().toNanos();
            for (int round = 0; System.nanoTime() < deadline; round++) {
                Map<TopicPartition, Long> seek = new HashMap<>();
                for (Map.Entry<TopicPartition, List<Long>> e : toRead.entrySet()) {
                    if (round < e.getValue().size()) {
                        seek.put(e.getKey(), e.getValue().get(round));
                    }
                }
                if (seek.isEmpty()) {
                    break;
                }
                probe.assign(seek.keySet());
                seek.forEach(probe::seek);
                Set<TopicPartition> pending = new HashSet<>(seek.keySet());
                while (!pending.isEmpty() && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : probe.poll(Duration.ofMillis(100))) {
                        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                        if (pending.remove(tp)) {
                            result.computeIfAbsent(tp, k -> new HashMap<>()).put(seek.get(tp), r.timestamp());
                            probe.pause(List.of(tp));
                        }
                    }
                }
                probe.resume(probe.paused());
            }
        }
        timestamps = result;
        return result;
    }

    /** Group names this monitor would watch, for tests and the CLI. */
    public LagSettings settings() {
        return settings;
    }

    /** Closes the probe consumer and the admin client. */
    @Override
    public void close() {
        if (probe != null) {
            probe.close(Duration.ofSeconds(5));
        }
        admin.close(Duration.ofSeconds(5));
    }

    /** A poll that failed. */
    public static final class LagException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LagException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
