package io.mpipe.collector.hedera;

import static io.mpipe.collector.hedera.MirrorFixtures.NOW;
import static io.mpipe.collector.hedera.MirrorFixtures.bySeries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.testsupport.StubHttpServer;
import io.prometheus.client.CollectorRegistry;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HederaBlocksSourceTest {
    private final StubHttpServer server = new StubHttpServer();
    private final CollectorRegistry registry = new CollectorRegistry();
    private final CollectorMetrics metrics = new CollectorMetrics(registry);
    private final MirrorNodeClient client = MirrorFixtures.client(MirrorFixtures.settings(server.baseUrl()), metrics);

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void shouldExportNewestBlockLagAndTpsOverTwoBlocks() throws Exception {
        server.always("/api/v1/blocks?limit=2&order=desc", MirrorFixtures.ok("response_blocks_limit2_paginated.json"));
        HederaBlocksSource source = new HederaBlocksSource(client, "testnet", Duration.ofSeconds(15), 2);

        Map<String, Double> out = bySeries(source.poll(NOW));

        // blocks 19 (7 transactions, .234710000-.234810000) and 18 (4, .234610000-.234700000):
        // 11 transactions in 0.0002 s; links.next is not followed
        assertThat(out).containsExactlyInAnyOrderEntriesOf(Map.of(
                "hedera_block_number{network=\"testnet\"}", 19.0,
                "hedera_block_lag_seconds{network=\"testnet\"}",
                new BigDecimal("1700000000.000").subtract(new BigDecimal("1676540001.234810000")).doubleValue(),
                "hedera_network_tps{network=\"testnet\"}", 55_000.0));
        assertThat(server.requests()).containsExactly("/api/v1/blocks?limit=2&order=desc");
    }

    @Test
    void shouldMeasureTpsFromTheOldestBlockStartToTheNewestBlockEnd() throws Exception {
        server.always("/api/v1/blocks?limit=4&order=desc", MirrorFixtures.ok("response_blocks_no-params.json"));
        HederaBlocksSource source = new HederaBlocksSource(client, "testnet", Duration.ofSeconds(15), 4);

        Map<String, Double> out = bySeries(source.poll(NOW));

        // 7 + 4 + 5 + 3 transactions from .234390000 (block 16) to .234810000 (block 19)
        assertThat(out.get("hedera_network_tps{network=\"testnet\"}")).isCloseTo(19 / 0.00042, within(1e-6));
        assertThat(out.get("hedera_block_number{network=\"testnet\"}")).isEqualTo(19.0);
    }

    @Test
    void shouldRejectABlockWithoutATimestampRange() {
        server.always("/api/v1/blocks?limit=2&order=desc", StubHttpServer.Response.ok("""
                {"blocks":[{"count":7,"number":19,"timestamp":{"from":"1676540001.234710000","to":"soon"}}],
                 "links":{"next":null}}"""));
        HederaBlocksSource source = new HederaBlocksSource(client, "testnet", Duration.ofSeconds(15), 2);

        assertThatThrownBy(() -> source.poll(NOW)).isInstanceOf(BadResponseException.class)
                .hasMessageContaining("blocks[0].timestamp.to: expected a timestamp (seconds.nanos), got \"soon\"");
        assertThat(registry.getSampleValue("collector_bad_responses_total", new String[] {"source"},
                new String[] {"hedera_blocks"})).isEqualTo(1.0);
    }

    @Test
    void shouldEmitNothingForANetworkWithoutBlocks() throws Exception {
        server.always("/api/v1/blocks?limit=2&order=desc",
                StubHttpServer.Response.ok("{\"blocks\":[],\"links\":{\"next\":null}}"));
        HederaBlocksSource source = new HederaBlocksSource(client, "testnet", Duration.ofSeconds(15), 2);

        assertThat(source.poll(NOW)).isEmpty();
    }
}
