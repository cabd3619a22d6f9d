package io.mpipe.sink.offsets;

import java.io.IOException;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.kafka.common.TopicPartition;

/**
 * The sink's consumer offsets, kept in PostgreSQL ({@code sink_offsets}) and written in the same
 * transaction as the rows they cover: the database, not Kafka, says where a group has got to.
 * An offset only moves forward.
 *
 * <p>Fencing: a sink {@linkplain #claim claims} the partitions Kafka assigns it as it reads their
 * offsets, and each batch {@linkplain #fence checks}, in its own transaction and with the rows
 * locked, that this sink still owns every partition of it and that nothing has been stored past
 * where the batch starts. A sink that was cut off long enough for the group to give its partitions
 * to another (a zombie) is refused when it comes back with a batch in hand, before a row of it is
 * written: {@link Fenced}.
 */
public final class OffsetStore {
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final String group;
    private final String owner;

    /** An offset store for {@code group} whose claims name this process ({@link #defaultOwner()}). */
    public OffsetStore(String group) {
        this(group, defaultOwner());
    }

    public OffsetStore(String group, String owner) {
        this.group = group;
        this.owner = owner;
    }

    /** Host, process id and a counter: unique among the sinks of a group, and readable in {@code sink_offsets}. */
    static String defaultOwner() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown-host";
        }
        return host + "/" + ProcessHandle.current().pid() + "/" + INSTANCES.incrementAndGet() + "-"
                + Long.toString(System.nanoTime() & 0xffffff, 36);
    }

    public String group() {
        return group;
    }

    /** What this store writes in {@code sink_offsets.owner}. */
    public String owner() {
        return owner;
    }

    /**
     * A batch refused because another sink owns one of its partitions now, or has stored past where
     * the batch starts: nothing of it was written, and it must not be tried again.
     */
    public static final class Fenced extends RuntimeException {
        private final transient Set<TopicPartition> partitions;

        Fenced(String message, Set<TopicPartition> partitions) {
            super(message);
            this.partitions = Set.copyOf(partitions);
        }

        /** The partitions whose rows refused the batch. */
        public Set<TopicPartition> partitions() {
            return partitions;
        }
    }

    /**
     * Claims {@code partitions} for this sink and returns their stored next offsets (partitions
     * with none stored are absent, and claimed when {@link #writeStart} stores their start). A
     * claim takes a partition from whoever held it: Kafka has just assigned it here.
     */
    public Map<TopicPartition, Long> claim(DataSource ds, Collection<TopicPartition> partitions) throws SQLException {
        Map<TopicPartition, Long> out = new HashMap<>();
        if (partitions.isEmpty()) {
            return out;
        }
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE sink_offsets SET owner = ? "
                        + "WHERE consumer_group = ? AND topic = ? AND partition = ANY (?) RETURNING partition, next_offset")) {
            for (Map.Entry<String, Integer[]> e : byTopic(partitions).entrySet()) {
                ps.setString(1, owner);
                ps.setString(2, group);
                ps.setString(3, e.getKey());
                ps.setArray(4, c.createArrayOf("int4", e.getValue()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(new TopicPartition(e.getKey(), rs.getInt(1)), rs.getLong(2));
                    }
                }
            }
        }
        return out;
    }

    /**
     * In the caller's transaction, before a batch writes a row: locks the rows of the batch's
     * partitions (in partition order, so that two sinks never wait on each other) and refuses the
     * batch when another sink has claimed one of them, or an offset stored is past where the batch
     * starts in it (a batch committed by someone else, or by this sink on an attempt whose answer
     * was lost). The locks are held to the commit, so of two batches covering the same offsets
     * exactly one commits.
     *
     * @param firstOffsets per partition, the first offset the batch covers
     * @throws Fenced when the batch must not be written
     */
    public void fence(Connection c, Map<TopicPartition, Long> firstOffsets) throws SQLException {
        if (firstOffsets.isEmpty()) {
            return;
        }
        Set<TopicPartition> refused = new TreeSet<>(
                Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        StringBuilder why = new StringBuilder();
        try (PreparedStatement ps = c.prepareStatement("SELECT partition, next_offset, owner FROM sink_offsets "
                + "WHERE consumer_group = ? AND topic = ? AND partition = ANY (?) ORDER BY partition FOR UPDATE")) {
            for (Map.Entry<String, Integer[]> e : byTopic(firstOffsets.keySet()).entrySet()) {
                ps.setString(1, group);
                ps.setString(2, e.getKey());
                ps.setArray(3, c.createArrayOf("int4", e.getValue()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        TopicPartition tp = new TopicPartition(e.getKey(), rs.getInt(1));
                        long stored = rs.getLong(2);
                        String holder = rs.getString(3);
                        long first = firstOffsets.get(tp);
                        if (holder != null && !holder.equals(owner)) {
                            refused.add(tp);
                            why.append(why.isEmpty() ? "" : "; ").append(tp).append(" is claimed by ").append(holder)
                                    .append(" (stored offset ").append(stored).append(')');
                        } else if (stored > first) {
                            refused.add(tp);
                            why.append(why.isEmpty() ? "" : "; ").append(tp).append(" is stored up to ").append(stored)
                                    .append(", past the batch's first offset ").append(first);
                        }
                    }
                }
            }
        }
        if (!refused.isEmpty()) {
            throw new Fenced("batch refused by the offsets in PostgreSQL (this sink is " + owner + "): " + why, refused);
        }
    }

    private static Map<String, Integer[]> byTopic(Collection<TopicPartition> partitions) {
        Map<String, Integer[]> byTopic = new HashMap<>();
        partitions.stream().map(TopicPartition::topic).distinct().forEach(t -> byTopic.put(t,
                partitions.stream().filter(tp -> tp.topic().equals(t)).map(TopicPartition::partition)
                        .sorted().toArray(Integer[]::new)));
        return byTopic;
    }

    /** Stored next offsets for {@code partitions}; partitions with none are absent. */
    public Map<TopicPartition, Long> read(DataSource ds, Collection<TopicPartition> partitions) throws SQLException {
        Map<TopicPartition, Long> out = new HashMap<>();
        if (partitions.isEmpty()) {
            return out;
        }
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT partition, next_offset FROM sink_offsets "
                        + "WHERE consumer_group = ? AND topic = ? AND partition = ANY (?)")) {
            for (Map.Entry<String, Integer[]> e : byTopic(partitions).entrySet()) {
                ps.setString(1, group);
                ps.setString(2, e.getKey());
                ps.setArray(3, c.createArrayOf("int4", e.getValue()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(new TopicPartition(e.getKey(), rs.getInt(1)), rs.getLong(2));
                    }
                }
            }
        }
        return out;
    }

    /** Stores {@code nextOffsets} in the caller's transaction. */
    public void write(Connection c, Map<TopicPartition, Long> nextOffsets) throws SQLException {
        if (nextOffsets.isEmpty()) {
            return;
        }
        String sql = "INSERT INTO sink_offsets AS o (consumer_group, topic, partition, next_offset, updated_at) "
                + "VALUES (?, ?, ?, ?, now()) "
                + "ON CONFLICT (consumer_group, topic, partition) DO UPDATE "
                + "SET next_offset = EXCLUDED.next_offset, updated_at = now() "
                + "WHERE o.next_offset < EXCLUDED.next_offset";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            executeFor(ps, nextOffsets);
        }
    }

    /**
     * Stores where a group with no stored offsets starts, claimed by this sink, unless an offset is
     * stored meanwhile (another instance). Its own transaction.
     */
    public void writeStart(DataSource ds, Map<TopicPartition, Long> starts) throws SQLException {
        if (starts.isEmpty()) {
            return;
        }
        String sql = "INSERT INTO sink_offsets (consumer_group, topic, partition, next_offset, updated_at, owner) "
                + "VALUES (?, ?, ?, ?, now(), ?) ON CONFLICT (consumer_group, topic, partition) DO NOTHING";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (Map.Entry<TopicPartition, Long> e : starts.entrySet()) {
                ps.setString(1, group);
                ps.setString(2, e.getKey().topic());
                ps.setInt(3, e.getKey().partition());
                ps.setLong(4, e.getValue());
                ps.setString(5, owner);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Runs {@code ps} (group, topic, partition, next offset) once for each partition, in one batch. */
    private void executeFor(PreparedStatement ps, Map<TopicPartition, Long> offsets) throws SQLException {
        for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
            ps.setString(1, group);
            ps.setString(2, e.getKey().topic());
            ps.setInt(3, e.getKey().partition());
            ps.setLong(4, e.getValue());
            ps.addBatch();
        }
        ps.executeBatch();
    }
}
