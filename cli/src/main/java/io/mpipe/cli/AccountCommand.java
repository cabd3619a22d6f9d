package io.mpipe.cli;

import io.mpipe.cli.query.ExporterClient;
import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.Durations;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "account", mixinStandardHelpOptions = true,
        description = {"A Hedera account as the collector's account source records it: its balance now (HBAR and"
            + " tinybars), the change over 24 h and 7 d, its transactions by type and result in the window, and how"
            + " old the last poll is. From the exporter's query API (any instance; older data from PostgreSQL)."})
final class AccountCommand implements Callable<Integer> {
    static final String BALANCE = "hedera_account_balance_tinybars";
    static final String TRANSACTIONS = "hedera_account_transactions_total";

    @Parameters(index = "0", paramLabel = "ID", description = "The account, shard.realm.num (0.0.98).")
    String id;

    @Option(names = "--window", paramLabel = "D", defaultValue = "24h",
            description = "The window of the transaction counts (default: ${DEFAULT-VALUE}).")
    String window;

    @Mixin
    ExporterOptions exporter;

    /** What the command found: the numbers it prints. */
    record Report(String account, Map<String, String> labels, long balance, Long change24h, Long change7d,
            long lastPollMs, Map<String, Long> transactions) {
    }

    @Override
    public Integer call() throws Exception {
        if (!id.matches("\\d+\\.\\d+\\.\\d+")) {
            throw new ConfigException("ID: '" + id + "' is not an account id (shard.realm.num, such as 0.0.98)");
        }
        Duration w;
        try {
            w = Durations.parse(window);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--window: " + e.getMessage());
        }
        long now = System.currentTimeMillis();
        Optional<Report> report = report(exporter.client(), id, w, now);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (report.isEmpty()) {
            System.err.println("account: no balance of " + id + " in the metrics: is it in collector.hedera.accounts,"
                    + " and has the collector polled it?");
            return Pipeline.RUNTIME_FAILURE;
        }
        out.print(format(report.get(), w, now));
        return Pipeline.OK;
    }

    static Optional<Report> report(ExporterClient c, String account, Duration window, long now) throws Exception {
        Map<String, String> acct = Map.of("account", account);
        List<ExporterClient.Sample> latest = c.samples(Optional.of(BALANCE), acct, now - Duration.ofDays(30).toMillis(),
                now, 1);
        if (latest.isEmpty()) {
            return Optional.empty();
        }
        ExporterClient.Sample now0 = latest.get(0);
        Long d24 = change(c, acct, now0, now - Duration.ofHours(24).toMillis());
        Long d7 = change(c, acct, now0, now - Duration.ofDays(7).toMillis());
        Map<String, Long> tx = new TreeMap<>();
        long start = now - window.toMillis();
        List<ExporterClient.Sample> counters = c.samples(Optional.of(TRANSACTIONS), acct, start, now, 10_000);
        Map<String, List<ExporterClient.Sample>> bySeries = new LinkedHashMap<>();
        for (ExporterClient.Sample s : counters) {
            bySeries.computeIfAbsent(s.labels().getOrDefault("type", "?") + "\t" + s.labels().getOrDefault("result", "?"),
                    k -> new ArrayList<>()).add(s);
        }
        bySeries.forEach((k, newestFirst) -> tx.merge(k, increase(newestFirst), Long::sum));
        Map<String, String> labels = new LinkedHashMap<>(now0.labels());
        labels.remove("account");
        return Optional.of(new Report(account, labels, (long) now0.value(), d24, d7, now0.timestamp(), tx));
    }

    /** The balance now minus the balance at {@code at} (the last sample at or before it, within a day), or null. */
    private static Long change(ExporterClient c, Map<String, String> acct, ExporterClient.Sample latest, long at)
            throws Exception {
        List<ExporterClient.Sample> then = c.samples(Optional.of(BALANCE), acct, at - Duration.ofDays(1).toMillis(), at,
                1);
        return then.isEmpty() ? null : (long) latest.value() - (long) then.get(0).value();
    }

    /** A counter's increase over its samples (newest first), across restarts of the collector (it counts from 0). */
    static long increase(List<ExporterClient.Sample> newestFirst) {
        long inc = 0;
        for (int i = newestFirst.size() - 1; i > 0; i--) {
            double older = newestFirst.get(i).value();
            double newer = newestFirst.get(i - 1).value();
            inc += (long) (newer >= older ? newer - older : newer);
        }
        return inc;
    }

    static String format(Report r, Duration window, long now) {
        StringBuilder sb = new StringBuilder();
        sb.append("account ").append(r.account());
        if (!r.labels().isEmpty()) {
            sb.append(" (").append(String.join(", ", r.labels().values())).append(')');
        }
        sb.append('\n');
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"balance", hbar(r.balance()) + " HBAR", String.format(Locale.ROOT, "%,d tinybars",
                r.balance())});
        rows.add(new String[] {"change 24 h", r.change24h() == null ? "no data that old" : signed(r.change24h()) + " HBAR",
            r.change24h() == null ? "" : String.format(Locale.ROOT, "%+,d tinybars", r.change24h())});
        rows.add(new String[] {"change 7 d", r.change7d() == null ? "no data that old" : signed(r.change7d()) + " HBAR",
            r.change7d() == null ? "" : String.format(Locale.ROOT, "%+,d tinybars", r.change7d())});
        rows.add(new String[] {"last poll", Math.max(0, (now - r.lastPollMs()) / 1000) + " s ago",
            Instant.ofEpochMilli(r.lastPollMs()).toString()});
        sb.append(TextTable.format(rows));
        sb.append("\ntransactions in the last ").append(Durations.format(window)).append('\n');
        if (r.transactions().isEmpty()) {
            sb.append("  none recorded\n");
        } else {
            List<String[]> tx = new ArrayList<>();
            tx.add(new String[] {"TYPE", "RESULT", "COUNT"});
            r.transactions().forEach((k, n) -> {
                String[] tr = k.split("\t", 2);
                tx.add(new String[] {tr[0], tr[1], Long.toString(n)});
            });
            sb.append(TextTable.format(tx).indent(2));
        }
        return sb.toString();
    }

    static String hbar(long tinybars) {
        return String.format(Locale.ROOT, "%,.8f", BigDecimal.valueOf(tinybars).movePointLeft(8));
    }

    static String signed(long tinybars) {
        return (tinybars >= 0 ? "+" : "") + hbar(tinybars);
    }
}
