package io.mpipe.collector.hedera;

import com.fasterxml.jackson.databind.JsonNode;
import io.mpipe.common.metric.Metric;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watched accounts ({@code collector.hedera.accounts}), each labelled {@code account} (its
 * configured id) and {@code label}.
 *
 * <p>Per poll and account, {@code GET /api/v1/accounts/{id}?transactions=false} gives
 * {@code hedera_account_balance_tinybars}, {@code hedera_account_balance_age_seconds} (poll time
 * minus {@code balance.timestamp}), {@code hedera_account_pending_reward_tinybars} and, with
 * {@code token-balances}, {@code hedera_account_token_balance{token}}. A value the API reports as
 * null gives no metric.
 *
 * <p>Then {@code GET /api/v1/transactions?account.id=..&order=asc&limit=100&timestamp=gt:<cursor>},
 * following {@code links.next}, gives the account's transactions since the cursor. The cursor
 * starts at {@code transactions-from} ({@code now}: the time of the first poll, so nothing from
 * before the collector started is counted) and moves to the newest consensus timestamp seen. The
 * transactions feed counters kept in memory since the collector started, emitted with their
 * current value on every poll (from 0):
 * <ul>
 *   <li>{@code hedera_account_transactions_total{type,result}};</li>
 *   <li>{@code hedera_account_hbar_in_tinybars_total} and {@code hedera_account_hbar_out_tinybars_total}:
 *       the account's own entries in {@code transfers}, by sign, out as a positive number. The
 *       transfer list includes fee payments, so fees paid are part of the outflow too;</li>
 *   <li>{@code hedera_account_fees_paid_tinybars_total}: {@code charged_tx_fee} of the transactions
 *       the account paid for (its id starts the {@code transaction_id}).</li>
 * </ul>
 * The transaction counters are counted against the entity id the accounts endpoint returns, so an
 * account configured by its EVM address works too. They restart from 0 with the collector, as a
 * Prometheus counter does.
 *
 * <p>Failures, a choice: one account's failure (an HTTP error after the retries, a bad response)
 * must not hide the others. The poll emits the metrics of the accounts that succeeded, none of the
 * failed account's (nothing half-read; its cursor stays put, so its transactions are counted on a
 * later poll), and counts the failure in {@code hedera_account_poll_errors_total{account,label}},
 * emitted for every account on every poll. The poll as a whole fails, marking the source down,
 * only when every account failed: then the mirror node itself is the likely problem.
 */
final class HederaAccountsSource extends MirrorSource {
    private static final Logger log = LoggerFactory.getLogger(HederaAccountsSource.class);

    static final String NAME = "hedera_accounts";
    /** Transactions per page, the API's maximum. */
    static final int TRANSACTIONS_PAGE_SIZE = 100;

    private static final String ACCOUNT = "account";
    private static final String LABEL = "label";
    private static final String TOKEN = "token";
    private static final String TYPE = "type";
    private static final String RESULT = "result";
    private static final Pattern ACCOUNT_ID = Pattern.compile("\\d{1,10}\\.\\d{1,10}\\.\\d{1,10}|0x[0-9a-fA-F]{40}");
    private static final Pattern TIMESTAMP = Pattern.compile("\\d{1,10}(\\.\\d{1,9})?");

    /** One token balance of an account, in the token's smallest unit. */
    record TokenBalance(String tokenId, long balance) {
        TokenBalance {
            Objects.requireNonNull(tokenId, "tokenId");
        }
    }

    /** What the accounts endpoint says about one account; empty values were null in the response. */
    record AccountInfo(String account, OptionalLong balance, Optional<BigDecimal> balanceTimestamp,
            OptionalLong pendingReward, List<TokenBalance> tokens) {
        AccountInfo {
            Objects.requireNonNull(account, "account");
            Objects.requireNonNull(balance, "balance");
            Objects.requireNonNull(balanceTimestamp, "balanceTimestamp");
            Objects.requireNonNull(pendingReward, "pendingReward");
            tokens = List.copyOf(tokens);
        }

        static AccountInfo parse(JsonNode body, boolean withTokens) throws BadResponseException {
            String account = MirrorJson.entityId(body, "account");
            OptionalLong pendingReward = MirrorJson.optionalInt64(body, "pending_reward");
            JsonNode balance = MirrorJson.object(body, "balance");
            try {
                return new AccountInfo(account, MirrorJson.optionalInt64(balance, "balance"),
                        MirrorJson.optionalTimestamp(balance, "timestamp"), pendingReward,
                        withTokens ? parseTokens(balance) : List.of());
            } catch (BadResponseException e) {
                throw e.within("balance");
            }
        }

        private static List<TokenBalance> parseTokens(JsonNode balance) throws BadResponseException {
            List<JsonNode> list = MirrorJson.array(balance, "tokens");
            List<TokenBalance> tokens = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                try {
                    tokens.add(new TokenBalance(MirrorJson.entityId(list.get(i), "token_id"),
                            MirrorJson.int64(list.get(i), "balance")));
                } catch (BadResponseException e) {
                    throw e.within("tokens[" + i + "]");
                }
            }
            return tokens;
        }
    }

    /** One entry of a transaction's hbar transfer list, in tinybars (negative: debited). */
    record Transfer(String account, long amount) {
        Transfer {
            Objects.requireNonNull(account, "account");
        }
    }

    /** One transaction, as much of it as the counters need. */
    record Transaction(BigDecimal consensusTimestamp, String type, String result, String payer, long chargedFee,
            List<Transfer> transfers) {
        Transaction {
            Objects.requireNonNull(consensusTimestamp, "consensusTimestamp");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(result, "result");
            Objects.requireNonNull(payer, "payer");
            transfers = List.copyOf(transfers);
        }

        static List<Transaction> parsePage(JsonNode body) throws BadResponseException {
            List<JsonNode> list = MirrorJson.array(body, "transactions");
            List<Transaction> out = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                try {
                    out.add(parse(list.get(i)));
                } catch (BadResponseException e) {
                    throw e.within("transactions[" + i + "]");
                }
            }
            return out;
        }

        private static Transaction parse(JsonNode t) throws BadResponseException {
            String id = MirrorJson.text(t, "transaction_id");
            int dash = id.indexOf('-');
            String payer = dash < 0 ? id : id.substring(0, dash);
            if (!MirrorJson.ENTITY_ID.matcher(payer).matches()) {
                throw new BadResponseException("transaction_id: expected payer-seconds-nanos, got \"" + id + "\"");
            }
            List<JsonNode> transferList = MirrorJson.optionalArray(t, "transfers");
            List<Transfer> transfers = new ArrayList<>(transferList.size());
            for (int i = 0; i < transferList.size(); i++) {
                try {
                    transfers.add(new Transfer(MirrorJson.entityId(transferList.get(i), "account"),
                            MirrorJson.int64(transferList.get(i), "amount")));
                } catch (BadResponseException e) {
                    throw e.within("transfers[" + i + "]");
                }
            }
            return new Transaction(MirrorJson.timestamp(t, "consensus_timestamp"), MirrorJson.name(t, "name"),
                    MirrorJson.name(t, "result"), payer, MirrorJson.int64(t, "charged_tx_fee"), transfers);
        }
    }

    /** A (type, result) pair of the transaction counter. */
    private record Kind(String type, String result) {
    }

    /** What has been counted for one account since the collector started. Only the polling thread touches it. */
    private static final class Tally {
        private final Map<Kind, Long> transactions = new LinkedHashMap<>();
        private BigDecimal cursor;
        private BigInteger hbarIn = BigInteger.ZERO;
        private BigInteger hbarOut = BigInteger.ZERO;
        private BigInteger feesPaid = BigInteger.ZERO;
        private long errors;

        Tally(BigDecimal cursor) {
            this.cursor = cursor;
        }

        /** Counts the transactions after the cursor, each once, and moves the cursor to the newest. */
        void count(List<Transaction> list, String accountId) {
            Set<BigDecimal> seen = new TreeSet<>();
            BigDecimal newest = cursor;
            for (Transaction t : list) {
                BigDecimal ts = t.consensusTimestamp();
                if (ts.compareTo(cursor) <= 0 || !seen.add(ts)) {
                    continue;
                }
                transactions.merge(new Kind(t.type(), t.result()), 1L, Long::sum);
                for (Transfer transfer : t.transfers()) {
                    if (transfer.account().equals(accountId)) {
                        BigInteger amount = BigInteger.valueOf(transfer.amount());
                        if (amount.signum() > 0) {
                            hbarIn = hbarIn.add(amount);
                        } else {
                            hbarOut = hbarOut.subtract(amount);
                        }
                    }
                }
                if (t.payer().equals(accountId)) {
                    feesPaid = feesPaid.add(BigInteger.valueOf(t.chargedFee()));
                }
                if (ts.compareTo(newest) > 0) {
                    newest = ts;
                }
            }
            cursor = newest;
        }
    }

    private final List<HederaSettings.Account> accounts;
    private final boolean tokenBalances;
    /** Null for {@code now}: the time of the first poll. */
    private final BigDecimal transactionsFrom;
    private final Map<String, Tally> tallies = new HashMap<>();

    HederaAccountsSource(MirrorNodeClient client, String network, Duration interval,
            List<HederaSettings.Account> accounts, boolean tokenBalances, String transactionsFrom) {
        super(NAME, client, network, interval);
        this.accounts = List.copyOf(accounts);
        this.tokenBalances = tokenBalances;
        if (this.accounts.isEmpty()) {
            throw new IllegalArgumentException("no accounts to watch");
        }
        for (HederaSettings.Account a : this.accounts) {
            if (!ACCOUNT_ID.matcher(a.id()).matches()) {
                throw new IllegalArgumentException("not an account id: " + a.id());
            }
        }
        Objects.requireNonNull(transactionsFrom, "transactionsFrom");
        if (transactionsFrom.equals("now")) {
            this.transactionsFrom = null;
        } else if (TIMESTAMP.matcher(transactionsFrom).matches()) {
            this.transactionsFrom = new BigDecimal(transactionsFrom).setScale(9, RoundingMode.UNNECESSARY);
        } else {
            throw new IllegalArgumentException("transactions-from must be 'now' or seconds.nanos: " + transactionsFrom);
        }
    }

    @Override
    public List<Metric> poll(long nowMillis) throws MirrorNodeException, InterruptedException {
        Samples out = new Samples(network, nowMillis);
        MirrorNodeException failure = null;
        int failed = 0;
        for (HederaSettings.Account account : accounts) {
            Tally tally = tallies.computeIfAbsent(account.id(), id -> new Tally(transactionsFrom != null
                    ? transactionsFrom
                    : BigDecimal.valueOf(nowMillis, 3).setScale(9, RoundingMode.UNNECESSARY)));
            try {
                out.addAll(poll(account, tally, nowMillis));
            } catch (MirrorNodeException e) {
                failed++;
                tally.errors++;
                log.warn("mirror node: account {} ({}) failed this poll; the other accounts go on: {}",
                        account.id(), account.label(), e.getMessage());
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
            out.add("hedera_account_poll_errors_total", tally.errors, ACCOUNT, account.id(), LABEL, account.label());
        }
        if (failed == accounts.size()) {
            throw failure;
        }
        return out.toList();
    }

    /** One account: reads everything first, then counts, so that a failure leaves its tally as it was. */
    private Samples poll(HederaSettings.Account account, Tally tally, long nowMillis)
            throws MirrorNodeException, InterruptedException {
        AccountInfo info = client.get(NAME, "/api/v1/accounts/" + account.id() + "?transactions=false",
                body -> AccountInfo.parse(body, tokenBalances));
        List<Transaction> transactions = client.getPages(NAME, "/api/v1/transactions?account.id=" + info.account()
                + "&order=asc&limit=" + TRANSACTIONS_PAGE_SIZE + "&timestamp=gt:" + tally.cursor.toPlainString(),
                Transaction::parsePage);
        tally.count(transactions, info.account());

        String id = account.id();
        String label = account.label();
        Samples out = new Samples(network, nowMillis);
        info.balance().ifPresent(b -> out.add("hedera_account_balance_tinybars", b, ACCOUNT, id, LABEL, label));
        info.balanceTimestamp().ifPresent(at -> out.add("hedera_account_balance_age_seconds",
                BigDecimal.valueOf(nowMillis, 3).subtract(at).doubleValue(), ACCOUNT, id, LABEL, label));
        info.pendingReward().ifPresent(r -> out.add("hedera_account_pending_reward_tinybars", r,
                ACCOUNT, id, LABEL, label));
        for (TokenBalance token : info.tokens()) {
            out.add("hedera_account_token_balance", token.balance(), ACCOUNT, id, LABEL, label, TOKEN, token.tokenId());
        }
        tally.transactions.forEach((kind, n) -> out.add("hedera_account_transactions_total", n,
                ACCOUNT, id, LABEL, label, TYPE, kind.type(), RESULT, kind.result()));
        out.add("hedera_account_hbar_in_tinybars_total", tally.hbarIn.doubleValue(), ACCOUNT, id, LABEL, label);
        out.add("hedera_account_hbar_out_tinybars_total", tally.hbarOut.doubleValue(), ACCOUNT, id, LABEL, label);
        out.add("hedera_account_fees_paid_tinybars_total", tally.feesPaid.doubleValue(), ACCOUNT, id, LABEL, label);
        return out;
    }
}
