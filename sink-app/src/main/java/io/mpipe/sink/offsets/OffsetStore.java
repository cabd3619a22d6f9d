package io.mpipe.sink.offsets;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.common.TopicPartition;

/**
 * The sink's consumer offsets, kept in PostgreSQL ({@code sink_offsets}) and written in the same
 * transaction as the rows they cover: the database, not Kafka, says where a group has got to.
 * An offset only moves forward, so a late writer (a zombie after a rebalance) cannot move it back.
 */
public final class OffsetStore {
    private final String group;

    public OffsetStore(String group) {
        this.group = group;
    }

    public String group() {
        return group;
    }

    /** Stored next offsets for {@code partitions}; partitions with none are absent. */
    public Map<TopicPartition, Long> read(DataSource ds, Collection<TopicPartition> partitions) throws SQLException {
        Map<TopicPartition, Long> out = new HashMap<>();
        if (partitions.isEmpty()) {
            return out;
        }
        Map<String, Integer[]> byTopic = new HashMap<>();
        partitions.stream().map(TopicPartition::topic).distinct().forEach(t -> byTopic.put(t,
                partitions.stream().filter(tp -> tp.topic().equals(t)).map(TopicPartition::partition)
                        .toArray(Integer[]::new)));
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT partition, next_offset FROM sink_offsets "
                        + "WHERE consumer_group = ? AND topic = ? AND partition = ANY (?)")) {
            for (Map.Entry<String, Integer[]> e : byTopic.entrySet()) {
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
     * Stores where a group with no stored offsets starts, unless an offset is stored meanwhile
     * (another instance). Its own transaction.
     */
    public void writeStart(DataSource ds, Map<TopicPartition, Long> starts) throws SQLException {
        if (starts.isEmpty()) {
            return;
        }
        String sql = "INSERT INTO sink_offsets (consumer_group, topic, partition, next_offset, updated_at) "
                + "VALUES (?, ?, ?, ?, now()) ON CONFLICT (consumer_group, topic, partition) DO NOTHING";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            executeFor(ps, starts);
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
