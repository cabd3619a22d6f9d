package io.mpipe.collector.hedera;

import static io.mpipe.collector.hedera.MirrorFixtures.NOW;
import static io.mpipe.collector.hedera.MirrorFixtures.bySeries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.testsupport.StubHttpServer;
import io.prometheus.client.CollectorRegistry;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HederaAccountsSourceTest {
    private static final String ACCOUNT_8 = "/api/v1/accounts/0.0.8?transactions=false";
    private static final String FROM = "1565779000.000000000";
    private static final String FIRST_PAGE =
            "/api/v1/transactions?account.id=0.0.8&order=asc&limit=100&timestamp=gt:" + FROM;
    /** The {@code links.next} of response_transactions_limit2_paginated.json. */
    private static final String SECOND_PAGE = "/api/v1/transactions?limit=2&timestamp=lt:1565779600.711927001";
    /**
     * The last page: 0.0.7 pays 0.0.8 25 tinybars; then 0.0.8 pays a 5-tinybar fee for a transfer
     * that fails.
     */
    private static final String LAST_PAGE_BODY = """
            {"transactions":[
              {"charged_tx_fee":7,"consensus_timestamp":"1565779700.000000001","name":"CRYPTOTRANSFER",
               "result":"SUCCESS","transaction_id":"0.0.7-1565779699-000000000",
               "transfers":[{"account":"0.0.7","amount":-26,"is_approval":false},
                            {"account":"0.0.8","amount":25,"is_approval":false},
                            {"account":"0.0.98","amount":1,"is_approval":false}]},
              {"charged_tx_fee":5,"consensus_timestamp":"1565779800.000000002","name":"CRYPTOTRANSFER",
               "result":"INSUFFICIENT_ACCOUNT_BALANCE","transaction_id":"0.0.8-1565779799-000000000",
               "transfers":[{"account":"0.0.8","amount":-5,"is_approval":false},
                            {"account":"0.0.98","amount":5,"is_approval":false}]}],
             "links":{"next":null}}""";
    private static final String NO_TRANSACTIONS = "{\"transactions\":[],\"links\":{\"next\":null}}";
    private static final String LABELS = "account=\"0.0.8\",label=\"treasury\",network=\"testnet\"";

    private final StubHttpServer server = new StubHttpServer();
    private final CollectorRegistry registry = new CollectorRegistry();
    private final CollectorMetrics metrics = new CollectorMetrics(registry);
    private final MirrorNodeClient client = MirrorFixtures.client(MirrorFixtures.settings(server.baseUrl()), metrics);

    @AfterEach
    void stop() {
        server.close();
    }

    private HederaAccountsSource source(List<HederaSettings.Account> accounts, boolean tokens, String from) {
        return new HederaAccountsSource(client, "testnet", Duration.ofSeconds(60), accounts, tokens, from);
    }

    private static HederaSettings.Account treasury() {
        return new HederaSettings.Account("0.0.8", "treasury");
    }

    private void serveTransactionPages() {
        server.always(FIRST_PAGE, MirrorFixtures.ok("response_transactions_limit2_paginated.json"));
        server.always(SECOND_PAGE, StubHttpServer.Response.ok(LAST_PAGE_BODY));
    }

    @Test
    void shouldExportBalancePendingRewardAndTokenBalances() throws Exception {
        server.always(ACCOUNT_8, MirrorFixtures.ok("response_accounts_id_no-params.json"));
        serveTransactionPages();

        Map<String, Double> out = bySeries(source(List.of(treasury()), true, FROM).poll(NOW));

        assertThat(out)
                .containsEntry("hedera_account_balance_tinybars{" + LABELS + "}", 80.0)
                .containsEntry("hedera_account_pending_reward_tinybars{" + LABELS + "}", 123.0)
                .containsEntry("hedera_account_balance_age_seconds{" + LABELS + "}",
                        new BigDecimal("1699999999.999997656").doubleValue())
                .containsEntry("hedera_account_token_balance{" + LABELS + ",token=\"0.0.99998\"}", 8.0)
                .containsEntry("hedera_account_token_balance{" + LABELS + ",token=\"0.0.99999\"}", 88.0);
    }

    @Test
    void shouldCountTransactionsByTypeAndResultAcrossPages() throws Exception {
        server.always(ACCOUNT_8, MirrorFixtures.ok("response_accounts_id_no-params.json"));
        serveTransactionPages();
        HederaAccountsSource source = source(List.of(treasury()), false, FROM);

        Map<String, Double> out = bySeries(source.poll(NOW));

        Map<String, Double> expected = new HashMap<>();
        expected.put("hedera_account_balance_tinybars{" + LABELS + "}", 80.0);
        expected.put("hedera_account_pending_reward_tinybars{" + LABELS + "}", 123.0);
        expected.put("hedera_account_balance_age_seconds{" + LABELS + "}",
                new BigDecimal("1699999999.999997656").doubleValue());
        // page 1 (the fixture): a CRYPTOTRANSFER (-41) and a CRYPTOUPDATEACCOUNT (-3), both paid by 0.0.8, fee 7 each;
        // page 2: a CRYPTOTRANSFER paid by 0.0.7 (+25) and a failed CRYPTOTRANSFER paid by 0.0.8 (-5, fee 5)
        expected.put("hedera_account_transactions_total{" + LABELS + ",result=\"SUCCESS\",type=\"CRYPTOTRANSFER\"}", 2.0);
        expected.put("hedera_account_transactions_total{" + LABELS
                + ",result=\"SUCCESS\",type=\"CRYPTOUPDATEACCOUNT\"}", 1.0);
        expected.put("hedera_account_transactions_total{" + LABELS
                + ",result=\"INSUFFICIENT_ACCOUNT_BALANCE\",type=\"CRYPTOTRANSFER\"}", 1.0);
        expected.put("hedera_account_hbar_in_tinybars_total{" + LABELS + "}", 25.0);
        expected.put("hedera_account_hbar_out_tinybars_total{" + LABELS + "}", 49.0);
        expected.put("hedera_account_fees_paid_tinybars_total{" + LABELS + "}", 19.0);
        expected.put("hedera_account_poll_errors_total{" + LABELS + "}", 0.0);
        assertThat(out).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(server.requests()).containsExactly(ACCOUNT_8, FIRST_PAGE, SECOND_PAGE);
    }

    @Test
    void shouldCarryOnFromTheNewestTransactionAndKeepCounting() throws Exception {
        server.always(ACCOUNT_8, MirrorFixtures.ok("response_accounts_id_no-params.json"));
        serveTransactionPages();
        HederaAccountsSource source = source(List.of(treasury()), false, FROM);
        source.poll(NOW);
        String after = "/api/v1/transactions?account.id=0.0.8&order=asc&limit=100&timestamp=gt:1565779800.000000002";
        server.next(after, StubHttpServer.Response.ok(NO_TRANSACTIONS));

        Map<String, Double> second = bySeries(source.poll(NOW + 60_000));

        assertThat(second)
                .containsEntry("hedera_account_transactions_total{" + LABELS
                        + ",result=\"SUCCESS\",type=\"CRYPTOTRANSFER\"}", 2.0)
                .containsEntry("hedera_account_hbar_out_tinybars_total{" + LABELS + "}", 49.0)
                .containsEntry("hedera_account_fees_paid_tinybars_total{" + LABELS + "}", 19.0);
        server.next(after, StubHttpServer.Response.ok("""
                {"transactions":[{"charged_tx_fee":3,"consensus_timestamp":"1565779900.000000000",
                  "name":"CRYPTOTRANSFER","result":"SUCCESS","transaction_id":"0.0.8-1565779899-000000000",
                  "transfers":[{"account":"0.0.8","amount":-1003},{"account":"0.0.9","amount":1000},
                               {"account":"0.0.98","amount":3}]}],
                 "links":{"next":null}}"""));

        Map<String, Double> third = bySeries(source.poll(NOW + 120_000));

        assertThat(third)
                .containsEntry("hedera_account_transactions_total{" + LABELS
                        + ",result=\"SUCCESS\",type=\"CRYPTOTRANSFER\"}", 3.0)
                .containsEntry("hedera_account_hbar_out_tinybars_total{" + LABELS + "}", 1052.0)
                .containsEntry("hedera_account_fees_paid_tinybars_total{" + LABELS + "}", 22.0);
        assertThat(server.count(after)).isEqualTo(2);
        assertThat(server.count(FIRST_PAGE)).isEqualTo(1);
    }

    @Test
    void shouldStartCountingAtTheFirstPollWhenTransactionsFromIsNow() throws Exception {
        server.always(ACCOUNT_8, MirrorFixtures.ok("response_accounts_id_no-params.json"));
        String sinceStart = "/api/v1/transactions?account.id=0.0.8&order=asc&limit=100&timestamp=gt:1700000000.123000000";
        server.always(sinceStart, StubHttpServer.Response.ok(NO_TRANSACTIONS));

        Map<String, Double> out = bySeries(source(List.of(treasury()), false, "now").poll(NOW + 123));

        assertThat(server.requests()).containsExactly(ACCOUNT_8, sinceStart);
        assertThat(out)
                .containsEntry("hedera_account_hbar_in_tinybars_total{" + LABELS + "}", 0.0)
                .containsEntry("hedera_account_hbar_out_tinybars_total{" + LABELS + "}", 0.0)
                .containsEntry("hedera_account_fees_paid_tinybars_total{" + LABELS + "}", 0.0)
                .doesNotContainKey("hedera_account_transactions_total{" + LABELS
                        + ",result=\"SUCCESS\",type=\"CRYPTOTRANSFER\"}");
    }

    @Test
    void shouldReportTheOtherAccountsWhenOneFails() throws Exception {
        server.always(ACCOUNT_8, MirrorFixtures.ok("response_accounts_id_no-params.json"));
        serveTransactionPages();
        // 0.0.9 is unknown to the stub: 404, not retried
        HederaAccountsSource source = source(List.of(new HederaSettings.Account("0.0.9", "ops"), treasury()), false,
                FROM);

        Map<String, Double> out = bySeries(source.poll(NOW));

        assertThat(out)
                .containsEntry("hedera_account_balance_tinybars{" + LABELS + "}", 80.0)
                .containsEntry("hedera_account_poll_errors_total{" + LABELS + "}", 0.0)
                .containsEntry("hedera_account_poll_errors_total{account=\"0.0.9\",label=\"ops\",network=\"testnet\"}",
                        1.0);
        assertThat(out.keySet()).filteredOn(k -> k.contains("0.0.9"))
                .containsExactly("hedera_account_poll_errors_total{account=\"0.0.9\",label=\"ops\",network=\"testnet\"}");
    }

    @Test
    void shouldFailThePollWhenEveryAccountFails() {
        server.always(ACCOUNT_8, StubHttpServer.Response.ok("""
                {"account":"0.0.8","balance":{"balance":"lots","timestamp":"1700000000.000000000","tokens":[]},
                 "pending_reward":0}"""));
        HederaAccountsSource source = source(List.of(treasury()), false, FROM);

        assertThatThrownBy(() -> source.poll(NOW))
                .isInstanceOf(BadResponseException.class)
                .hasMessageContaining(ACCOUNT_8)
                .hasMessageContaining("balance.balance: expected an int64, got \"lots\"");
        assertThat(registry.getSampleValue("collector_bad_responses_total", new String[] {"source"},
                new String[] {"hedera_accounts"})).isEqualTo(1.0);
        assertThat(server.requests()).containsExactly(ACCOUNT_8);
    }

    @Test
    void shouldCountNothingFromATransactionPageThatFailsHalfway() throws Exception {
        server.always(ACCOUNT_8, MirrorFixtures.ok("response_accounts_id_no-params.json"));
        server.always(FIRST_PAGE, MirrorFixtures.ok("response_transactions_limit2_paginated.json"));
        server.next(SECOND_PAGE, StubHttpServer.Response.ok("{\"transactions\":[{\"name\":\"CRYPTOTRANSFER\"}]}"));
        HederaAccountsSource source = source(List.of(treasury()), false, FROM);

        assertThatThrownBy(() -> source.poll(NOW)).isInstanceOf(BadResponseException.class)
                .hasMessageContaining(SECOND_PAGE);
        server.always(SECOND_PAGE, StubHttpServer.Response.ok(LAST_PAGE_BODY));

        Map<String, Double> out = bySeries(source.poll(NOW + 60_000));

        // the cursor did not move: the retry starts at the same page and counts each transaction once
        assertThat(server.count(FIRST_PAGE)).isEqualTo(2);
        assertThat(out).containsEntry("hedera_account_fees_paid_tinybars_total{" + LABELS + "}", 19.0)
                .containsEntry("hedera_account_poll_errors_total{" + LABELS + "}", 1.0);
    }
}
