package io.mpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.embedded.FreePorts;
import io.mpipe.exporter.ExporterApp;
import io.mpipe.exporter.ExporterConfig;
import io.mpipe.sink.SinkApp;
import io.mpipe.sink.SinkConfig;
import io.mpipe.testsupport.TestDatabase;
import io.mpipe.testsupport.TestKafka;
import io.mpipe.testsupport.WithKafka;
import io.mpipe.testsupport.WithPostgres;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code query} and {@code account} against a running exporter (memory and history) with known data. */
@WithKafka
@WithPostgres
class QueryAccountCommandIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MINUTE = 60_000;
    private static final long HOUR = 60 * MINUTE;

    @Test
    void shouldPrintAnAccountsBalanceChangesAndTransactionsAndQueryTheHistory(TestKafka kafka, TestDatabase db,
            @TempDir Path dir) throws Exception {
        String topic = kafka.newTopic("cli-query", 2);
        long now = System.currentTimeMillis();
        Labels acct = Labels.of("account", "0.0.98", "label", "fees", "network", "testnet");
        List<Metric> sent = new ArrayList<>();
        sent.add(new Metric("hedera_account_balance_tinybars", now - 7 * 24 * HOUR - 5 * MINUTE, 100_000_000_000L, acct));
        sent.add(new Metric("hedera_account_balance_tinybars", now - 24 * HOUR - 5 * MINUTE, 150_000_000_000L, acct));
        sent.add(new Metric("hedera_account_balance_tinybars", now - MINUTE, 123_450_000_000L, acct));
        Labels transfers = Labels.of("account", "0.0.98", "label", "fees", "network", "testnet", "type",
                "CRYPTOTRANSFER", "result", "SUCCESS");
        // 10, 15, then the collector restarted (counting from 0 again): 3, 5: ten transactions
        long[] at = {now - 20 * HOUR, now - 10 * HOUR, now - HOUR, now - MINUTE};
        double[] count = {10, 15, 3, 5};
        for (int i = 0; i < at.length; i++) {
            sent.add(new Metric("hedera_account_transactions_total", at[i], count[i], transfers));
        }
        int port = FreePorts.next();
        String yaml = """
                kafka:
                  bootstrap-servers: %s
                  topic: %s
                  dlq-topic: %s.dlq
                postgres:
                  url: %s
                  user: %s
                sink:
                  group: %s
                  http:
                    port: 0
                exporter:
                  application-id: %s
                  state-dir: %s
                  http:
                    port: %d
                  history:
                    enabled: true
                lag:
                  enabled: false
                """.formatted(kafka.bootstrapServers(), topic, topic, db.jdbcUrl(), db.user(), kafka.newGroup("sink"),
                kafka.newGroup("exporter"), dir, port);
        try (SinkApp sink = SinkApp.start(SinkConfig.load(ConfigSource.parse(yaml, Map.of())), new CollectorRegistry());
                ExporterApp exporter = ExporterApp.start(ExporterConfig.load(ConfigSource.parse(yaml, Map.of())),
                        new CollectorRegistry())) {
            Metrics.produce(kafka, topic, sent);
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    db.queryLong("SELECT count(*) FROM metrics") == sent.size() && exporter.isReady());
            String url = "http://127.0.0.1:" + port;

            CommandRun account = CommandRun.of("account", "0.0.98", "--exporter", url);
            assertThat(account.exit()).as(account.err()).isZero();
            assertThat(account.out()).contains("account 0.0.98 (fees, testnet)")
                    .containsPattern("balance\\s+1,234\\.50000000 HBAR\\s+123,450,000,000 tinybars")
                    .containsPattern("change 24 h\\s+-265\\.50000000 HBAR\\s+-26,550,000,000 tinybars")
                    .containsPattern("change 7 d\\s+\\+234\\.50000000 HBAR")
                    .containsPattern("last poll\\s+\\d+ s ago")
                    .containsPattern("CRYPTOTRANSFER\\s+SUCCESS\\s+10");

            CommandRun unknown = CommandRun.of("account", "0.0.404", "--exporter", url);
            assertThat(unknown.exit()).isEqualTo(1);
            assertThat(unknown.err()).contains("no balance of 0.0.404");

            CommandRun csv = CommandRun.of("query", "hedera_account_balance_tinybars", "--label", "account=0.0.98",
                    "--from", "8d", "--format", "csv", "--exporter", url);
            assertThat(csv.exit()).as(csv.err()).isZero();
            List<String> lines = csv.out().lines().toList();
            assertThat(lines).hasSize(4).first().isEqualTo("name,timestamp,value,labels");
            assertThat(lines.get(1)).startsWith("hedera_account_balance_tinybars,").contains(",123450000000,");
            assertThat(lines.get(3)).contains(",100000000000,"); // from PostgreSQL: a week old

            CommandRun json = CommandRun.of("query", "hedera_account_transactions_total", "--from", "1d", "--format",
                    "json", "--exporter", url);
            JsonNode samples = JSON.readTree(json.out());
            assertThat(samples).hasSize(4);
            assertThat(samples.get(0).get("value").asDouble()).isEqualTo(5.0);

            CommandRun rows = CommandRun.of("query", "hedera_account_balance_tinybars", "--from", "2d", "--exporter",
                    url);
            assertThat(rows.out().lines()).hasSize(2).allMatch(l -> l.split("\t").length == 3);

            CommandRun bad = CommandRun.of("query", "bad-name", "--exporter", url);
            assertThat(bad.exit()).isEqualTo(2);
            assertThat(bad.err()).contains("name:");
        }
        CommandRun down = CommandRun.of("account", "0.0.98", "--exporter", "http://127.0.0.1:" + FreePorts.next());
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.err()).contains("no exporter answers at");
    }
}
