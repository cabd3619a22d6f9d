package io.mpipe.exporter.lag;

import java.util.List;

/**
 * Consumer lag at one moment, as {@code /api/v1/lag} returns it.
 *
 * @param polledAt epoch milliseconds of the poll
 */
public record LagSnapshot(long polledAt, List<Group> groups) {
    public static final LagSnapshot EMPTY = new LagSnapshot(0, List.of());

    public LagSnapshot {
        groups = List.copyOf(groups);
    }

    /**
     * One consumer group: its state, its members, and per partition where it is.
     *
     * @param maxLagSeconds NaN when no partition's lag in seconds is known
     */
    public record Group(String group, String state, int members, List<Partition> partitions, long sumLag, long maxLag,
            double maxLagSeconds) {
        public Group {
            partitions = List.copyOf(partitions);
        }
    }

    /**
     * One partition of a group.
     *
     * @param committed  the group's committed offset (the next record it will read)
     * @param logEnd     the partition's log-end offset
     * @param lag        {@code logEnd - committed}, never negative
     * @param lagSeconds now minus the timestamp of the record at the committed offset; 0 when caught
     *                   up; NaN when it could not be read this time
     * @param consumer   the member holding the partition, or "-"
     */
    public record Partition(String topic, int partition, long committed, long logEnd, long lag, double lagSeconds,
            String consumer) {
    }
}
