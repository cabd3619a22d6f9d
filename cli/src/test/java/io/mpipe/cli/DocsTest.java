package io.mpipe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.mpipe.testsupport.TestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README and docs/ hold together: every relative link goes to a file that exists (and to a
 * heading that exists, when it names one), and docs/configuration.md documents every key of
 * config.example.yaml, being made from it.
 */
class DocsTest {
    private static final Path ROOT = TestData.repoRoot();
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6} +(.+?) *$", Pattern.MULTILINE);
    private static final Pattern FENCE = Pattern.compile("(?ms)^```.*?^```");

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md"), ROOT.resolve("BENCHMARKS.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    @Test
    void shouldResolveEveryRelativeLinkInTheReadmeAndDocs() throws IOException {
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : pages()) {
            String text = FENCE.matcher(Files.readString(page)).replaceAll("");
            Matcher m = LINK.matcher(text);
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z]+:.*")) {
                    continue; // https:, mailto:
                }
                checked++;
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                String anchor = hash < 0 ? null : target.substring(hash + 1);
                Path to = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                String where = ROOT.relativize(page) + ": " + target;
                if (!Files.exists(to)) {
                    broken.add(where + " (no such file)");
                } else if (anchor != null && to.toString().endsWith(".md") && !anchors(to).contains(anchor)) {
                    broken.add(where + " (no such heading in " + ROOT.relativize(to) + ")");
                }
            }
        }
        assertThat(checked).as("relative links checked").isGreaterThan(20);
        assertThat(broken).as("broken links").isEmpty();
    }

    /** The anchors GitHub makes of a page's headings. */
    static Set<String> anchors(Path page) throws IOException {
        Set<String> out = new HashSet<>();
        Matcher m = HEADING.matcher(FENCE.matcher(Files.readString(page)).replaceAll(""));
        while (m.find()) {
            String slug = m.group(1).toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
            String unique = slug;
            for (int i = 1; !out.add(unique); i++) {
                unique = slug + "-" + i;
            }
        }
        return out;
    }

    @Test
    void shouldKeepTheConfigurationReferenceMadeFromTheExampleFile() throws IOException {
        String yaml = Files.readString(ROOT.resolve("config.example.yaml"), StandardCharsets.UTF_8);
        String made = ConfigReference.markdown(yaml);
        Path doc = ROOT.resolve("docs/configuration.md");
        if (Boolean.getBoolean("config-reference.write")) {
            Files.writeString(doc, made);
        }
        assertThat(Files.readString(doc))
                .as("docs/configuration.md is made from config.example.yaml; make it again with"
                        + " mvn -B -pl cli test -Dtest=DocsTest -Dconfig-reference.write=true")
                .isEqualTo(made);
    }

    @Test
    void shouldDocumentEveryKeyOfTheExampleFileWithAMeaning() throws IOException {
        String yaml = Files.readString(ROOT.resolve("config.example.yaml"), StandardCharsets.UTF_8);
        // every key a YAML parser reads from the file, independently of ConfigReference's reading
        Set<String> parsed = new TreeSet<>();
        leaves("", new ObjectMapper(new YAMLFactory()).readTree(yaml), parsed);
        Map<String, ConfigReference.Entry> documented = new java.util.LinkedHashMap<>();
        ConfigReference.entries(yaml).forEach(e -> documented.put(e.key(), e));
        assertThat(documented.keySet()).as("keys in docs/configuration.md").containsAll(parsed);
        assertThat(parsed.size()).as("keys the file sets").isGreaterThan(80);
        List<String> unexplained = documented.values().stream().filter(e -> e.meaning().isBlank())
                .map(ConfigReference.Entry::key).toList();
        assertThat(unexplained).as("keys without a comment in config.example.yaml").isEmpty();
        // the commented-out keys are real keys too: each is read by a service
        assertThat(documented).containsKeys("postgres.password-file", "sink.retention", "sink.start-from",
                "exporter.http.tls.cert-file", "exporter.peer-token-file");
    }

    private static void leaves(String prefix, JsonNode node, Set<String> out) {
        if (node.isObject() && node.size() > 0) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                leaves(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else {
            out.add(prefix);
        }
    }
}
