package io.mpipe.collector.hedera;

import io.mpipe.common.config.ConfigReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code collector.hedera} section: which mirror node to poll, which accounts to watch, and
 * how often each endpoint is polled.
 *
 * @param enabled               {@code collector.hedera.enabled}
 * @param network               {@code collector.hedera.network}: the {@code network} label of every metric
 * @param baseUrl               {@code collector.hedera.base-url}: defaults to the public mirror node of the network
 * @param requestTimeout        {@code collector.hedera.request-timeout}: per HTTP request
 * @param maxRequestsPerSecond  {@code collector.hedera.max-requests-per-second}: client-side rate limit
 * @param maxRetries            {@code collector.hedera.max-retries}: retries of a request after 429 or 5xx
 * @param maxBackoff            {@code collector.hedera.max-backoff}: longest wait between retries
 * @param accounts              {@code collector.hedera.accounts}: a list of {@code {id, label}}
 * @param tokenBalances         {@code collector.hedera.token-balances}: also export token balances of the accounts
 * @param transactionsFrom      {@code collector.hedera.transactions-from}: {@code now}, or a consensus timestamp
 *                              ({@code seconds.nanos}) to start counting account transactions from
 * @param intervals             {@code collector.hedera.intervals.<endpoint>}: accounts, nodes, supply, stake,
 *                              exchange-rate, fees, blocks
 * @param tpsBlocks             {@code collector.hedera.tps-blocks}: how many recent blocks TPS is measured over
 */
public record HederaSettings(
        boolean enabled,
        String network,
        String baseUrl,
        Duration requestTimeout,
        double maxRequestsPerSecond,
        int maxRetries,
        Duration maxBackoff,
        List<Account> accounts,
        boolean tokenBalances,
        String transactionsFrom,
        Map<String, Duration> intervals,
        int tpsBlocks) {

    /** An account to watch: its id ({@code 0.0.98}) and a label of the user's choosing. */
    public record Account(String id, String label) {
        public Account {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(label, "label");
        }
    }

    /** The endpoints, each polled on its own interval. */
    public static final List<String> ENDPOINTS =
            List.of("accounts", "nodes", "supply", "stake", "exchange-rate", "fees", "blocks");

    public static final Map<String, String> PUBLIC_MIRROR_NODES = Map.of(
            "mainnet", "https://mainnet.mirrornode.hedera.com",
            "testnet", "https://testnet.mirrornode.hedera.com",
            "previewnet", "https://previewnet.mirrornode.hedera.com");

    private static final Map<String, Duration> DEFAULT_INTERVALS = Map.of(
            "accounts", Duration.ofSeconds(60),
            "nodes", Duration.ofMinutes(5),
            "supply", Duration.ofMinutes(5),
            "stake", Duration.ofMinutes(5),
            "exchange-rate", Duration.ofMinutes(5),
            "fees", Duration.ofMinutes(5),
            "blocks", Duration.ofSeconds(15));

    public HederaSettings {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(baseUrl, "baseUrl");
        accounts = List.copyOf(accounts);
        intervals = Map.copyOf(intervals);
    }

    public Duration interval(String endpoint) {
        return intervals.get(endpoint);
    }

    public static HederaSettings read(ConfigReader r) {
        boolean enabled = r.bool("collector.hedera.enabled", false);
        String network = r.string("collector.hedera.network", "mainnet");
        if (!network.matches("[a-zA-Z0-9_.-]{1,64}")) {
            r.problem("collector.hedera.network", "'" + network + "' must be a short name (letters, digits, . _ -)");
        }
        String defaultUrl = PUBLIC_MIRROR_NODES.getOrDefault(network, "");
        String baseUrl = r.string("collector.hedera.base-url", defaultUrl);
        if (enabled && baseUrl.isBlank()) {
            r.problem("collector.hedera.base-url", "is required for network '" + network
                    + "' (public mirror nodes are known for mainnet, testnet, previewnet)");
        } else if (!baseUrl.isBlank() && !baseUrl.matches("https?://[^\\s]+")) {
            r.problem("collector.hedera.base-url", "'" + baseUrl + "' is not an http(s) URL");
        }
        Duration timeout = r.duration("collector.hedera.request-timeout", Duration.ofSeconds(10),
                Duration.ofMillis(100), Duration.ofMinutes(5));
        double rps = r.number("collector.hedera.max-requests-per-second", 50, 0.1, 10_000);
        int retries = r.integer("collector.hedera.max-retries", 3, 0, 20);
        Duration maxBackoff = r.duration("collector.hedera.max-backoff", Duration.ofSeconds(30), Duration.ofMillis(10),
                Duration.ofMinutes(10));
        List<Account> accounts = new ArrayList<>();
        for (ConfigReader.Item item : r.items("collector.hedera.accounts")) {
            String id = item.requiredString("id");
            String label = item.string("label", id);
            item.rejectUnknownKeys("id", "label");
            if (!id.isBlank() && !id.matches("\\d+\\.\\d+\\.\\d+|0x[0-9a-fA-F]{40}")) {
                r.problem(item.path() + ".id", "'" + id + "' is not an account id (shard.realm.num such as 0.0.98,"
                        + " or a 0x EVM address)");
            }
            accounts.add(new Account(id, label));
        }
        boolean tokens = r.bool("collector.hedera.token-balances", false);
        String from = r.string("collector.hedera.transactions-from", "now");
        if (!from.equals("now") && !from.matches("\\d+(\\.\\d{1,9})?")) {
            r.problem("collector.hedera.transactions-from", "'" + from + "' must be 'now' or a consensus timestamp"
                    + " such as 1700000000.000000000");
        }
        Map<String, Duration> intervals = new java.util.LinkedHashMap<>();
        for (String e : ENDPOINTS) {
            intervals.put(e, r.duration("collector.hedera.intervals." + e, DEFAULT_INTERVALS.get(e),
                    Duration.ofMillis(100), Duration.ofDays(1)));
        }
        int tpsBlocks = r.integer("collector.hedera.tps-blocks", 10, 2, 100);
        return new HederaSettings(enabled, network, baseUrl, timeout, rps, retries, maxBackoff, accounts, tokens, from,
                intervals, tpsBlocks);
    }
}
