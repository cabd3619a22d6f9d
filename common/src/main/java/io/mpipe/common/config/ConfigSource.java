package io.mpipe.common.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The configuration file, parsed and with {@code ${VAR}} / {@code ${VAR:-default}} substituted
 * from the environment ({@code $${} writes a literal {@code ${}). One YAML file serves every
 * service; each reads the sections it owns through a {@link ConfigReader}.
 *
 * <p>The tree holds maps, lists and {@link Scalar}s. A scalar remembers whether its whole value
 * came from an environment variable, which is how secrets are kept out of config files.
 */
public final class ConfigSource {
    /** The top-level sections a config file may have. */
    public static final Set<String> SECTIONS =
            Set.of("kafka", "postgres", "logging", "collector", "sink", "exporter", "lag");

    /** Prefix of environment variables that override keys: {@code PIPELINE_SINK_BATCH_MAX_ROWS}. */
    public static final String ENV_PREFIX = "PIPELINE_";

    /** A key written twice in one mapping is an error, not "the last one wins". */
    private static final ObjectMapper YAML =
            new ObjectMapper(new YAMLFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION));

    /** A leaf value, as text. */
    public record Scalar(String text, boolean fromEnvironment) {
        public Scalar {
            Objects.requireNonNull(text, "text");
        }
    }

    private final Map<String, Object> root;
    private final Map<String, String> env;
    private final String origin;
    private final List<String> problems;

    private ConfigSource(Map<String, Object> root, Map<String, String> env, String origin, List<String> problems) {
        this.root = root;
        this.env = Map.copyOf(env);
        this.origin = origin;
        this.problems = List.copyOf(problems);
    }

    /**
     * Reads a YAML file.
     *
     * @throws ConfigException when the file is missing, unreadable or not YAML
     */
    public static ConfigSource load(Path file, Map<String, String> env) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("--config: file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("--config: cannot read " + file + ": " + e.getMessage());
        }
        return parse(text, env, file.toString());
    }

    /** Parses YAML text; see {@link #load}. */
    public static ConfigSource parse(String yaml, Map<String, String> env) {
        return parse(yaml, env, "<config>");
    }

    /** No file: every key takes its default or an environment override. */
    public static ConfigSource empty(Map<String, String> env) {
        return new ConfigSource(new LinkedHashMap<>(), env, "<defaults>", List.of());
    }

    private static ConfigSource parse(String yaml, Map<String, String> env, String origin) {
        JsonNode node;
        try {
            node = yaml.isBlank() ? null : YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException(origin + ": not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        }
        List<String> problems = new ArrayList<>();
        Map<String, Object> root = new LinkedHashMap<>();
        if (node != null && !node.isMissingNode() && !node.isNull()) {
            if (!node.isObject()) {
                throw new ConfigException(origin + ": the top level must be a mapping of sections");
            }
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!SECTIONS.contains(e.getKey())) {
                    problems.add(e.getKey() + ": unknown section (known: " + String.join(", ",
                            SECTIONS.stream().sorted().toList()) + ")");
                }
                Object converted = convert(e.getKey(), e.getValue(), env, problems);
                if (converted != null) {
                    root.put(e.getKey(), converted);
                }
            }
        }
        return new ConfigSource(root, env, origin, problems);
    }

    private static Object convert(String path, JsonNode n, Map<String, String> env, List<String> problems) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                Object v = convert(path + "." + e.getKey(), e.getValue(), env, problems);
                if (v != null) {
                    m.put(e.getKey(), v);
                }
            }
            return m;
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                Object v = convert(path + "[" + i + "]", n.get(i), env, problems);
                if (v != null) {
                    l.add(v);
                }
            }
            return l;
        }
        return substitute(path, n.asText(), env, problems);
    }

    /** Expands {@code ${VAR}} and {@code ${VAR:-default}}; {@code $${} is a literal {@code ${}. */
    static Scalar substitute(String path, String text, Map<String, String> env, List<String> problems) {
        if (text.indexOf('$') < 0) {
            return new Scalar(text, false);
        }
        StringBuilder out = new StringBuilder(text.length());
        int refs = 0;
        boolean allFromEnv = true;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '$' && text.startsWith("$${", i)) {
                out.append("${");
                i += 3;
                allFromEnv = false;
            } else if (c == '$' && text.startsWith("${", i)) {
                int close = text.indexOf('}', i + 2);
                if (close < 0) {
                    problems.add(path + ": unterminated ${ in '" + text + "'");
                    return new Scalar(text, false);
                }
                String expr = text.substring(i + 2, close);
                String name = expr;
                String def = null;
                int sep = expr.indexOf(":-");
                if (sep >= 0) {
                    name = expr.substring(0, sep);
                    def = expr.substring(sep + 2);
                }
                if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    problems.add(path + ": '${" + expr + "}' is not a valid variable reference");
                    return new Scalar(text, false);
                }
                String value = env.get(name);
                if (value == null || value.isEmpty()) {
                    if (def == null) {
                        problems.add(path + ": environment variable " + name + " is not set");
                        value = "";
                    } else {
                        value = def;
                        allFromEnv = false;
                    }
                }
                out.append(value);
                refs++;
                i = close + 1;
            } else {
                out.append(c);
                allFromEnv = false;
                i++;
            }
        }
        return new Scalar(out.toString(), refs == 1 && allFromEnv);
    }

    /** True when the file sets {@code path} (the environment is not looked at). */
    public boolean has(String path) {
        return node(path) != null;
    }

    Object node(String path) {
        Object cur = root;
        for (String part : path.split("\\.")) {
            if (!(cur instanceof Map<?, ?> m)) {
                return null;
            }
            cur = m.get(part);
            if (cur == null) {
                return null;
            }
        }
        return cur;
    }

    Map<String, Object> root() {
        return root;
    }

    Map<String, String> env() {
        return env;
    }

    String origin() {
        return origin;
    }

    List<String> loadProblems() {
        return problems;
    }

    /** A reader that collects problems until {@link ConfigReader#throwIfInvalid()}. */
    public ConfigReader reader() {
        return new ConfigReader(this);
    }
}
