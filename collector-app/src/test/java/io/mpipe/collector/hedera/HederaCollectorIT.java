package io.mpipe.collector.hedera;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mpipe.collector.CollectorApp;
import io.mpipe.collector.CollectorConfig;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.http.SelfMetrics;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricJson;
import io.mpipe.testsupport.StubHttpServer;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.prometheus.client.CollectorRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The whole collector against a mirror-node stub serving the real response bodies and a real
 * broker: the metrics with the fixtures' exact values reach the topic; failing and malformed
 * endpoints are counted and mark their sources down; the others go on.
 */
@WithKafka
class HederaCollectorIT {

    /** The series each source publishes from the fixtures, with the fixtures' exact values. */
    private static final Map<String, Double> EXPECTED = Map.of(
            "hedera_supply_released_tinybars{network=\"testnet\"}", (double) 999_999_999_999_999_949L,
            "hedera_supply_total_tinybars{network=\"testnet\"}", 5e18,
            "hedera_exchange_rate_cents_per_hbar{network=\"testnet\",rate=\"current\"}", 596987.0 / 30000.0,
            "hedera_node_stake_tinybars{network=\"testnet\",node_account=\"0.0.3\",node_id=\"0\"}", 13.0,
            "hedera_gas_price_tinybars{network=\"testnet\",transaction_type=\"ContractCall\"}", 49.0,
            "hedera_block_number{network=\"testnet\"}", 19.0,
            "hedera_account_balance_tinybars{account=\"0.0.8\",label=\"treasury\",network=\"testnet\"}", 80.0);

    @Test
    void shouldPublishTheFixturesExactValuesAndKeepGoingWhenEndpointsFail(TestKafka kafka) throws Exception {
        String topic = kafka.newTopic("collector-hedera", 2);
        try (StubHttpServer mirror = new StubHttpServer()) {
            mirror.always("/api/v1/network/supply", MirrorFixtures.ok("response_network_supply_no-params.json"))
                    .always("/api/v1/network/exchangerate", MirrorFixtures.ok("example_network_exchangerate.json"))
                    .always("/api/v1/network/nodes", MirrorFixtures.ok("response_network_nodes_no-params.json"))
                    .always("/api/v1/network/fees", MirrorFixtures.ok("response_network_fees_no-params.json"))
                    .always("/api/v1/blocks?limit=2&order=desc", MirrorFixtures.ok("response_blocks_limit2_paginated.json"))
                    .always("/api/v1/accounts/0.0.8?transactions=false",
                            MirrorFixtures.ok("response_accounts_id_no-params.json"))
                    .always("/api/v1/transactions?account.id=0.0.8&order=asc&limit=100&timestamp=gt:1565779000.000000000",
                            StubHttpServer.Response.ok("{\"transactions\":[],\"links\":{\"next\":null}}"))
                    // stake always fails; the others must go on
                    .always("/api/v1/network/stake", StubHttpServer.Response.status(500, "{}"));
            String yaml = """
                    kafka:
                      bootstrap-servers: %s
                      topic: %s
                    collector:
                      http:
                        port: 0
                      hedera:
                        enabled: true
                        network: testnet
                        base-url: %s
                        max-retries: 1
                        max-backoff: 50ms
                        transactions-from: "1565779000.000000000"
                        tps-blocks: 2
                        accounts:
                          - id: 0.0.8
                            label: treasury
                        intervals:
                          accounts: 1s
                          nodes: 1s
                          supply: 1s
                          stake: 1s
                          exchange-rate: 1s
                          fees: 1s
                          blocks: 1s
                    """.formatted(kafka.bootstrapServers(), topic, mirror.baseUrl());
            CollectorRegistry registry = SelfMetrics.newRegistryWithJvmMetrics();
            Map<String, Metric> latest = new ConcurrentHashMap<>();
            try (CollectorApp app = CollectorApp.start(CollectorConfig.load(ConfigSource.parse(yaml, Map.of())),
                    registry)) {
                Properties p = new Properties();
                p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
                p.put(ConsumerConfig.GROUP_ID_CONFIG, kafka.newGroup("reader"));
                p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
                try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
                    c.subscribe(List.of(topic));
                    await().atMost(Duration.ofSeconds(60)).until(() -> {
                        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                            Metric m = MetricJson.decode(r.value());
                            latest.put(m.seriesKey(), m);
                        }
                        // every source polls on its own schedule: wait for one record of each asserted below
                        return latest.keySet().containsAll(EXPECTED.keySet());
                    });
                }
                EXPECTED.forEach((key, value) -> assertThat(latest.get(key).value()).as(key).isEqualTo(value));
                assertThat(latest.keySet()).noneMatch(k -> k.startsWith("hedera_network_stake_total"));

                await().atMost(Duration.ofSeconds(10)).until(() ->
                        registry.getSampleValue("collector_polls_total", new String[] {"source", "outcome"},
                                new String[] {"hedera_stake", "error"}) >= 2.0);
                assertThat(registry.getSampleValue("collector_up", new String[] {"source"}, new String[] {"hedera_stake"}))
                        .isZero();
                assertThat(registry.getSampleValue("collector_up", new String[] {"source"}, new String[] {"hedera_supply"}))
                        .isEqualTo(1.0);
                // a source that never failed still exports its error count, at 0
                assertThat(registry.getSampleValue("collector_polls_total", new String[] {"source", "outcome"},
                        new String[] {"hedera_supply", "error"})).isEqualTo(0.0);
                assertThat(registry.getSampleValue("collector_http_retries_total", new String[] {"source", "reason"},
                        new String[] {"hedera_stake", "5xx"})).isPositive();

                // a malformed body from now on: counted, the source goes down, the collector goes on
                mirror.always("/api/v1/network/fees", StubHttpServer.Response.ok("{\"foo\":1}"));
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    Double bad = registry.getSampleValue("collector_bad_responses_total", new String[] {"source"},
                            new String[] {"hedera_fees"});
                    return bad != null && bad >= 1.0;
                });
                await().atMost(Duration.ofSeconds(10)).until(() -> registry.getSampleValue("collector_up",
                        new String[] {"source"}, new String[] {"hedera_fees"}) == 0.0);
                double produced = registry.getSampleValue("collector_records_produced_total");
                await().atMost(Duration.ofSeconds(10)).until(() ->
                        registry.getSampleValue("collector_records_produced_total") > produced);

                String self = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(app.httpBaseUrl() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertThat(self).contains("collector_up{source=\"hedera_stake\",} 0.0");
                Path out = Path.of("target", "exposition");
                Files.createDirectories(out);
                Files.writeString(out.resolve("collector.prom"), self);
            }
        }
    }
}
