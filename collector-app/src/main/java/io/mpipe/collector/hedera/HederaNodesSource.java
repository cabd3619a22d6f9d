package io.mpipe.collector.hedera;

import com.fasterxml.jackson.databind.JsonNode;
import io.mpipe.common.metric.Metric;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * {@code GET /api/v1/network/nodes}, every page: {@code hedera_network_nodes} (how many), and per
 * node, labelled {@code node_id} and {@code node_account}: {@code hedera_node_stake_tinybars},
 * {@code hedera_node_stake_rewarded_tinybars}, {@code hedera_node_stake_not_rewarded_tinybars},
 * {@code hedera_node_reward_rate_start_tinybars} and {@code hedera_node_service_endpoints}. A field
 * the mirror node reports as null (a node outside the staking period) gives no metric for that
 * node, rather than a misleading zero.
 */
final class HederaNodesSource extends MirrorSource {
    static final String NAME = "hedera_nodes";
    static final String PATH = "/api/v1/network/nodes";

    private static final String NODE_ID = "node_id";
    private static final String NODE_ACCOUNT = "node_account";

    /** One consensus node; an empty value is a null in the response. */
    record Node(long nodeId, String account, OptionalLong stake, OptionalLong stakeRewarded,
            OptionalLong stakeNotRewarded, OptionalLong rewardRateStart, OptionalLong serviceEndpoints) {
        Node {
            Objects.requireNonNull(account, "account");
            Objects.requireNonNull(stake, "stake");
            Objects.requireNonNull(stakeRewarded, "stakeRewarded");
            Objects.requireNonNull(stakeNotRewarded, "stakeNotRewarded");
            Objects.requireNonNull(rewardRateStart, "rewardRateStart");
            Objects.requireNonNull(serviceEndpoints, "serviceEndpoints");
        }

        static List<Node> parsePage(JsonNode body) throws BadResponseException {
            List<JsonNode> nodes = MirrorJson.array(body, "nodes");
            List<Node> out = new ArrayList<>(nodes.size());
            for (int i = 0; i < nodes.size(); i++) {
                try {
                    out.add(parse(nodes.get(i)));
                } catch (BadResponseException e) {
                    throw e.within("nodes[" + i + "]");
                }
            }
            return out;
        }

        private static Node parse(JsonNode n) throws BadResponseException {
            JsonNode endpoints = n.get("service_endpoints");
            OptionalLong endpointCount = endpoints == null || endpoints.isNull()
                    ? OptionalLong.empty()
                    : OptionalLong.of(MirrorJson.array(n, "service_endpoints").size());
            return new Node(MirrorJson.int64(n, "node_id"),
                    MirrorJson.optionalEntityId(n, "node_account_id").orElse(""),
                    MirrorJson.optionalInt64(n, "stake"),
                    MirrorJson.optionalInt64(n, "stake_rewarded"),
                    MirrorJson.optionalInt64(n, "stake_not_rewarded"),
                    MirrorJson.optionalInt64(n, "reward_rate_start"),
                    endpointCount);
        }
    }


    HederaNodesSource(MirrorNodeClient client, String network, Duration interval) {
        super(NAME, client, network, interval);
    }

    @Override
    public List<Metric> poll(long nowMillis) throws MirrorNodeException, InterruptedException {
        List<Node> nodes = client.getPages(NAME, PATH, Node::parsePage);
        Samples out = new Samples(network, nowMillis);
        out.add("hedera_network_nodes", nodes.size());
        for (Node node : nodes) {
            String id = Long.toString(node.nodeId());
            add(out, "hedera_node_stake_tinybars", node.stake(), id, node.account());
            add(out, "hedera_node_stake_rewarded_tinybars", node.stakeRewarded(), id, node.account());
            add(out, "hedera_node_stake_not_rewarded_tinybars", node.stakeNotRewarded(), id, node.account());
            add(out, "hedera_node_reward_rate_start_tinybars", node.rewardRateStart(), id, node.account());
            add(out, "hedera_node_service_endpoints", node.serviceEndpoints(), id, node.account());
        }
        return out.toList();
    }

    private static void add(Samples out, String name, OptionalLong value, String nodeId, String account) {
        if (value.isPresent()) {
            out.add(name, value.getAsLong(), NODE_ID, nodeId, NODE_ACCOUNT, account);
        }
    }
}
