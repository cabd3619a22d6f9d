package org.apache.kafka.tools.consumer.group;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;

/**
 * What Kafka's own {@code kafka-consumer-groups --describe} computes for a group, read through its
 * (package-private) service so tests can compare our lag with it.
 */
public final class ConsumerGroupCommandProbe {

    private ConsumerGroupCommandProbe() {
    }

    /** Lag per partition as ConsumerGroupCommand reports it. */
    public static Map<TopicPartition, Long> lags(String bootstrap, String group) throws Exception {
        ConsumerGroupCommandOptions opts = ConsumerGroupCommandOptions.fromArgs(
                new String[] {"--bootstrap-server", bootstrap, "--describe", "--group", group});
        try (ConsumerGroupCommand.ConsumerGroupService svc = new ConsumerGroupCommand.ConsumerGroupService(opts,
                Map.of())) {
            Map.Entry<Optional<GroupState>, Optional<Collection<PartitionAssignmentState>>> e =
                    svc.collectGroupOffsets(group);
            Map<TopicPartition, Long> out = new HashMap<>();
            for (PartitionAssignmentState s : e.getValue().orElse(List.of())) {
                if (s.topic().isPresent() && s.partition().isPresent() && s.lag().isPresent()) {
                    out.put(new TopicPartition(s.topic().get(), s.partition().get()), s.lag().get());
                }
            }
            return out;
        }
    }
}
