package io.mpipe.collector.hedera;

import static io.mpipe.collector.hedera.MirrorFixtures.NOW;
import static io.mpipe.collector.hedera.MirrorFixtures.bySeries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mpipe.collector.CollectorMetrics;
import io.mpipe.testsupport.StubHttpServer;
import io.prometheus.client.CollectorRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HederaNodesSourceTest {
    private static final Map<String, Double> FIXTURE_METRICS = Map.of(
            "hedera_network_nodes{network=\"testnet\"}", 2.0,
            "hedera_node_stake_tinybars{network=\"testnet\",node_account=\"0.0.3\",node_id=\"0\"}", 13.0,
            "hedera_node_stake_rewarded_tinybars{network=\"testnet\",node_account=\"0.0.3\",node_id=\"0\"}", 5.0,
            "hedera_node_stake_not_rewarded_tinybars{network=\"testnet\",node_account=\"0.0.3\",node_id=\"0\"}", 8.0,
            "hedera_node_reward_rate_start_tinybars{network=\"testnet\",node_account=\"0.0.3\",node_id=\"0\"}", 6.0,
            "hedera_node_service_endpoints{network=\"testnet\",node_account=\"0.0.3\",node_id=\"0\"}", 1.0,
            // node 1 has null stakes and reward rate: only its endpoint count
            "hedera_node_service_endpoints{network=\"testnet\",node_account=\"0.0.5\",node_id=\"1\"}", 1.0);

    private final StubHttpServer server = new StubHttpServer();
    private final CollectorRegistry registry = new CollectorRegistry();
    private final CollectorMetrics metrics = new CollectorMetrics(registry);
    private final HederaNodesSource source = new HederaNodesSource(
            MirrorFixtures.client(MirrorFixtures.settings(server.baseUrl()), metrics), "testnet", Duration.ofMinutes(5));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void shouldExportNodeStakesAndSkipNullFields() throws Exception {
        server.always("/api/v1/network/nodes", MirrorFixtures.ok("response_network_nodes_no-params.json"));

        assertThat(bySeries(source.poll(NOW))).containsExactlyInAnyOrderEntriesOf(FIXTURE_METRICS);
    }

    @Test
    void shouldFollowLinksNextAcrossNodePages() throws Exception {
        // the fixture's two nodes, split into two pages chained by links.next
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode whole = (ObjectNode) mapper.readTree(MirrorFixtures.read("response_network_nodes_no-params.json"));
        ArrayNode nodes = (ArrayNode) whole.get("nodes");
        ObjectNode first = mapper.createObjectNode();
        first.putArray("nodes").add(nodes.get(0));
        first.putObject("links").put("next", "/api/v1/network/nodes?node.id=gt:0");
        ObjectNode second = mapper.createObjectNode();
        second.putArray("nodes").add(nodes.get(1));
        second.putObject("links").putNull("next");
        server.always("/api/v1/network/nodes", StubHttpServer.Response.ok(first.toString()));
        server.always("/api/v1/network/nodes?node.id=gt:0", StubHttpServer.Response.ok(second.toString()));

        assertThat(bySeries(source.poll(NOW))).containsExactlyInAnyOrderEntriesOf(FIXTURE_METRICS);
        assertThat(server.requests()).containsExactly("/api/v1/network/nodes", "/api/v1/network/nodes?node.id=gt:0");
    }

    @Test
    void shouldFailTheWholePollWhenOneNodeIsMalformed() {
        server.always("/api/v1/network/nodes", StubHttpServer.Response.ok("""
                {"nodes":[{"node_id":0,"node_account_id":"0.0.3","stake":13,"service_endpoints":[]},
                          {"node_id":1,"node_account_id":"0.0.4","stake":"13"}],
                 "links":{"next":null}}"""));

        assertThatThrownBy(() -> source.poll(NOW)).isInstanceOf(BadResponseException.class)
                .hasMessageContaining("nodes[1].stake");
        assertThat(registry.getSampleValue("collector_bad_responses_total", new String[] {"source"},
                new String[] {"hedera_nodes"})).isEqualTo(1.0);
    }
}
