package io.mpipe.cli;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * docs/configuration.md, made from config.example.yaml: every key the file sets, and every key it
 * shows commented out (optional keys with no default), with its default and the comment above it.
 * {@link DocsTest} checks that the committed page is what this makes, so the two cannot drift.
 */
final class ConfigReference {
    /** A key of the file. {@code value} is null for a key shown commented out. */
    record Entry(String key, String value, String meaning) {
    }

    private static final Pattern KEY = Pattern.compile("^( *)([a-z][a-z0-9-]*):(?: +(.*))?$");
    /** A key shown commented out: exactly one space after the '#'. */
    private static final Pattern COMMENTED_KEY = Pattern.compile("^( *)# ([a-z][a-z0-9-]*): +(\\S.*)$");
    private static final Pattern COMMENT = Pattern.compile("^( *)#(.*)$");

    static final String INTRO = """
            One YAML file configures every service; each reads the sections it uses (below). This page is
            made from [`config.example.yaml`](../config.example.yaml), which shows every key with its
            default and is what the services really read (a test loads it). A key shown there commented
            out has no default: it is off, or derived, until set.

            - `${VAR}` and `${VAR:-default}` are substituted from the environment.
            - Any single-valued key (not the `kafka.properties` and `sink.consumer-properties` maps, nor the
              list `collector.hedera.accounts`) can be overridden by an environment variable: `PIPELINE_` +
              the key in upper case with `.` and `-` as `_` (`PIPELINE_SINK_BATCH_MAX_ROWS=50000`). A
              misspelled variable is ignored, so check the effective configuration in the start-up log.
            - Unknown keys in the file, a key written twice in one section, and bad values fail the start
              with exit code 2, naming each (a bad value is reported, never replaced by its default).
            - Secrets (`postgres.password`, secret-looking `kafka.properties` such as `sasl.jaas.config`)
              must come from the environment or a file (`postgres.password-file`) and are masked in every
              log line.
            - The effective configuration (every key read, with its value, secrets masked) is logged at
              start by `collector`, `sink`, `exporter`, `local` (one block per service), `replay` and
              `migrate`; `lag` logs only warnings, so that its output stays a table.
            - Every service's `http` section takes the keys shown under `exporter.http` (bounds, TLS and
              auth): `collector.http.*` and `sink.http.*` alike. See [security.md](security.md).
            """;

    private ConfigReference() {
    }

    /** The keys of a config file in the form config.example.yaml is written in, in file order. */
    static List<Entry> entries(String yaml) {
        List<Entry> out = new ArrayList<>();
        Deque<int[]> indents = new ArrayDeque<>();
        Deque<String> path = new ArrayDeque<>();
        Deque<String> sectionMeanings = new ArrayDeque<>();
        List<String> comment = new ArrayList<>();
        String lastMeaning = "";
        int lastKeyIndent = -1;
        boolean afterKey = false;
        for (String line : yaml.split("\n", -1)) {
            if (line.isBlank()) {
                comment.clear();
                afterKey = false;
                continue;
            }
            Matcher commented = COMMENTED_KEY.matcher(line);
            Matcher key = KEY.matcher(line);
            Matcher c = COMMENT.matcher(line);
            int indent;
            String name;
            String value;
            if (commented.matches()) {
                indent = commented.group(1).length();
                name = commented.group(2);
                value = null;
            } else if (key.matches()) {
                indent = key.group(1).length();
                name = key.group(2);
                value = key.group(3) == null ? "" : key.group(3).strip();
            } else if (c.matches()) {
                String text = c.group(2);
                if (!text.startsWith("  ")) { // "#  example: lines" belong to the key above
                    comment.add(text.strip());
                }
                continue;
            } else {
                throw new IllegalArgumentException("config.example.yaml: cannot read the line '" + line + "'");
            }
            while (!indents.isEmpty() && indents.peek()[0] >= indent) {
                indents.pop();
                path.pop();
                sectionMeanings.pop();
            }
            String meaning = String.join(" ", comment);
            if (meaning.isEmpty() && afterKey && indent == lastKeyIndent) {
                meaning = lastMeaning; // a key right below another, with no comment of its own, shares it
            } else if (meaning.isEmpty() && !sectionMeanings.isEmpty()) {
                meaning = sectionMeanings.peek(); // or its section's comment
            }
            comment.clear();
            String full = path.isEmpty() ? name : String.join(".", reversed(path)) + "." + name;
            if (value != null && value.isEmpty()) {
                indents.push(new int[] {indent});
                path.push(name);
                sectionMeanings.push(meaning);
                afterKey = false;
                continue;
            }
            out.add(new Entry(full, value, meaning));
            lastMeaning = meaning;
            lastKeyIndent = indent;
            afterKey = true;
        }
        return out;
    }

    private static List<String> reversed(Deque<String> path) {
        List<String> l = new ArrayList<>(path);
        java.util.Collections.reverse(l);
        return l;
    }

    /** The page: the intro, then a table of keys per top-level section. */
    static String markdown(String yaml) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Configuration reference\n\n")
                .append("<!-- Made from config.example.yaml by ConfigReference (cli tests); do not edit by hand:\n")
                .append("     mvn -B -pl cli test -Dtest=DocsTest -Dconfig-reference.write=true -->\n\n")
                .append(INTRO);
        String section = null;
        for (Entry e : entries(yaml)) {
            String top = e.key().substring(0, e.key().indexOf('.') < 0 ? e.key().length() : e.key().indexOf('.'));
            if (!top.equals(section)) {
                section = top;
                sb.append("\n## `").append(top).append("`\n\n| key | default | meaning |\n|---|---|---|\n");
            }
            String dflt = e.value() == null ? "none" : e.value().equals("''") ? "empty" : "`" + e.value() + "`";
            sb.append("| `").append(e.key()).append("` | ").append(cell(dflt)).append(" | ")
                    .append(cell(e.meaning())).append(" |\n");
        }
        return sb.toString();
    }

    private static String cell(String s) {
        return s.replace("|", "\\|");
    }
}
