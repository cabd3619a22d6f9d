package io.mpipe.common.config;

import io.mpipe.common.logging.SecretMasking;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads typed values out of a {@link ConfigSource}. Each value comes from, in order: the
 * environment override ({@code PIPELINE_} + the key upper-cased with {@code .} and {@code -} as
 * {@code _}), the file, the default. Bad values do not throw at once: every problem is collected,
 * each naming its key and why, and {@link #throwIfInvalid()} reports them all together. Keys
 * that were never read are reported as unknown by {@link #rejectUnknownKeys}, which catches typos.
 *
 * <p>Reads are also recorded, with secrets masked, so a service can log its effective config.
 */
public final class ConfigReader {
    /**
     * Kafka client property names that hold secrets: every name ending in {@code key},
     * {@code password}, {@code secret} or {@code token} ({@code ssl.keystore.key},
     * {@code ssl.key.password}), or holding {@code passphrase}, {@code password}, {@code secret},
     * {@code token}, {@code credential} or {@code jaas.config} anywhere.
     */
    static final Pattern SECRET_PROPERTY =
            Pattern.compile("(?i).*(key|password|secret|token)|.*(passphrase|password|secret|jaas\\.config|credential"
                    + "|token).*");

    private final ConfigSource source;
    private final List<String> problems;
    private final Set<String> consumed = new HashSet<>();
    private final Map<String, String> effective = new TreeMap<>();

    ConfigReader(ConfigSource source) {
        this.source = source;
        this.problems = new ArrayList<>(source.loadProblems());
    }

    // ---- scalars -------------------------------------------------------------------------

    private ConfigSource.Scalar scalar(String path) {
        consumed.add(path);
        String envName = envName(path);
        String fromEnv = envName == null ? null : source.env().get(envName);
        if (fromEnv != null) {
            return new ConfigSource.Scalar(fromEnv, true);
        }
        Object n = source.node(path);
        if (n == null) {
            return null;
        }
        if (n instanceof ConfigSource.Scalar s) {
            return s;
        }
        problem(path, "expected a single value, found a " + (n instanceof Map ? "mapping" : "list"));
        return null;
    }

    /** The environment variable that overrides {@code path}, or null for list items. */
    public static String envName(String path) {
        if (path.contains("[")) {
            return null;
        }
        return ConfigSource.ENV_PREFIX + path.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public String string(String path, String def) {
        ConfigSource.Scalar s = scalar(path);
        String v = s == null ? def : s.text();
        record(path, v);
        return v;
    }

    public Optional<String> optionalString(String path) {
        ConfigSource.Scalar s = scalar(path);
        if (s == null || s.text().isBlank()) {
            return Optional.empty();
        }
        record(path, s.text());
        return Optional.of(s.text());
    }

    public String requiredString(String path) {
        ConfigSource.Scalar s = scalar(path);
        if (s == null || s.text().isBlank()) {
            problem(path, "is required");
            return "";
        }
        record(path, s.text());
        return s.text();
    }

    public int integer(String path, int def, int min, int max) {
        return (int) longValue(path, def, min, max);
    }

    public long longValue(String path, long def, long min, long max) {
        ConfigSource.Scalar s = scalar(path);
        long v = def;
        if (s != null) {
            try {
                v = Long.parseLong(s.text().trim().replace("_", ""));
            } catch (NumberFormatException e) {
                problem(path, "'" + s.text() + "' is not a whole number");
                return def;
            }
        }
        if (v < min || v > max) {
            problem(path, v + " is out of range [" + min + ", " + max + "]");
            return def; // what is built from it meanwhile must not fail on it before the problems are reported
        }
        record(path, Long.toString(v));
        return v;
    }

    public double number(String path, double def, double min, double max) {
        ConfigSource.Scalar s = scalar(path);
        double v = def;
        if (s != null) {
            try {
                v = Double.parseDouble(s.text().trim());
            } catch (NumberFormatException e) {
                problem(path, "'" + s.text() + "' is not a number");
                return def;
            }
        }
        if (!(v >= min && v <= max)) {
            problem(path, v + " is out of range [" + min + ", " + max + "]");
            return def;
        }
        record(path, Double.toString(v));
        return v;
    }

    public boolean bool(String path, boolean def) {
        ConfigSource.Scalar s = scalar(path);
        boolean v = def;
        if (s != null) {
            switch (s.text().trim().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> v = true;
                case "false", "no", "off" -> v = false;
                default -> {
                    problem(path, "'" + s.text() + "' is not true or false");
                    return def;
                }
            }
        }
        record(path, Boolean.toString(v));
        return v;
    }

    public Duration duration(String path, Duration def, Duration min, Duration max) {
        ConfigSource.Scalar s = scalar(path);
        Duration v = def;
        if (s != null) {
            try {
                v = Durations.parse(s.text());
            } catch (IllegalArgumentException e) {
                problem(path, e.getMessage());
                return def;
            }
        }
        if (v.compareTo(min) < 0 || v.compareTo(max) > 0) {
            problem(path, Durations.format(v) + " is out of range [" + Durations.format(min) + ", "
                    + Durations.format(max) + "]");
            return def;
        }
        record(path, Durations.format(v));
        return v;
    }

    /** One of {@code allowed} (compared case-insensitively, returned lower-case). */
    public String choice(String path, String def, String... allowed) {
        String v = string(path, def).trim().toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        problem(path, "'" + v + "' is not one of " + String.join(", ", allowed));
        return def;
    }

    /** A YAML list of strings, or a comma-separated string (as an environment override is). */
    public List<String> stringList(String path, List<String> def) {
        String envName = envName(path);
        String fromEnv = envName == null ? null : source.env().get(envName);
        consumed.add(path);
        List<String> v;
        if (fromEnv != null) {
            v = splitComma(fromEnv);
        } else {
            Object n = source.node(path);
            if (n == null) {
                v = def;
            } else if (n instanceof ConfigSource.Scalar s) {
                v = splitComma(s.text());
            } else if (n instanceof List<?> l) {
                v = new ArrayList<>();
                for (Object o : l) {
                    if (o instanceof ConfigSource.Scalar s) {
                        v.add(s.text());
                    } else {
                        problem(path, "expected a list of values");
                        return def;
                    }
                }
            } else {
                problem(path, "expected a list of values");
                return def;
            }
        }
        record(path, String.join(",", v));
        return List.copyOf(v);
    }

    private static List<String> splitComma(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    /**
     * A free-form map of strings, such as Kafka client properties, passed through unchanged.
     * Keys that look like secrets must come from the environment and are masked.
     */
    public Map<String, String> stringMap(String path) {
        consumed.add(path);
        Object n = source.node(path);
        if (n == null) {
            return Map.of();
        }
        if (!(n instanceof Map<?, ?> m)) {
            problem(path, "expected a mapping of names to values");
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String key = (String) e.getKey();
            String keyPath = path + "." + key;
            if (!(e.getValue() instanceof ConfigSource.Scalar s)) {
                problem(keyPath, "expected a single value");
                continue;
            }
            if (SECRET_PROPERTY.matcher(key).matches()) {
                placeholder(keyPath, s.text());
                if (!s.fromEnvironment()) {
                    problem(keyPath, "is a secret: write it as ${VARIABLE} and set the variable,"
                            + " do not put it in the file");
                }
                SecretMasking.register(s.text());
                record(keyPath, SecretMasking.MASK);
            } else {
                record(keyPath, s.text());
            }
            out.put(key, s.text());
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * A secret: from the environment override, a {@code ${VAR}} reference in the file, or the file
     * named by {@code <path>-file}. A literal in the config file is refused.
     */
    public Secret secret(String path) {
        ConfigSource.Scalar s = scalar(path);
        Optional<String> file = Optional.empty();
        ConfigSource.Scalar fileScalar = scalar(path + "-file");
        if (fileScalar != null && !fileScalar.text().isBlank()) {
            file = Optional.of(fileScalar.text());
            record(path + "-file", fileScalar.text());
        }
        if (s != null && !s.text().isEmpty()) {
            if (file.isPresent()) {
                problem(path, "set either " + path + " or " + path + "-file, not both");
            }
            if (!s.fromEnvironment()) {
                problem(path, "is a secret: write it as ${VARIABLE} (or use " + path
                        + "-file), do not put it in the file");
            }
            record(path, SecretMasking.MASK);
            placeholder(path, s.text());
            return Secret.of(s.text());
        }
        if (file.isPresent()) {
            try {
                String v = Files.readString(Path.of(file.get())).strip();
                record(path, SecretMasking.MASK);
                placeholder(path, v);
                return Secret.of(v);
            } catch (IOException e) {
                problem(path + "-file", "cannot read " + file.get() + ": " + e.getMessage());
                return Secret.NONE;
            }
        }
        return Secret.NONE;
    }

    private void placeholder(String path, String value) {
        try {
            Secret.checkNotPlaceholder(path, value);
        } catch (ConfigException e) {
            problem(path, e.problems().get(0).substring(path.length() + 2));
        }
    }

    /** Items of a list of mappings, each read through its own reader view. */
    public List<Item> items(String path) {
        consumed.add(path);
        Object n = source.node(path);
        if (n == null) {
            return List.of();
        }
        if (!(n instanceof List<?> l)) {
            problem(path, "expected a list");
            return List.of();
        }
        List<Item> out = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
            Object o = l.get(i);
            String itemPath = path + "[" + i + "]";
            if (o instanceof Map<?, ?> m) {
                out.add(new Item(itemPath, m));
            } else {
                problem(itemPath, "expected a mapping");
            }
        }
        return out;
    }

    /** One mapping in a list; reads its keys, reporting problems under {@code path[i].key}. */
    public final class Item {
        private final String path;
        private final Map<?, ?> node;

        Item(String path, Map<?, ?> node) {
            this.path = path;
            this.node = node;
        }

        public String path() {
            return path;
        }

        public String string(String key, String def) {
            Object v = node.get(key);
            if (v == null) {
                return def;
            }
            if (v instanceof ConfigSource.Scalar s) {
                record(path + "." + key, s.text());
                return s.text();
            }
            problem(path + "." + key, "expected a single value");
            return def;
        }

        public String requiredString(String key) {
            String v = string(key, null);
            if (v == null || v.isBlank()) {
                problem(path + "." + key, "is required");
                return "";
            }
            return v;
        }

        public void rejectUnknownKeys(String... known) {
            Set<String> k = Set.of(known);
            for (Object key : node.keySet()) {
                if (!k.contains(key)) {
                    problem(path + "." + key, "unknown key (known: " + String.join(", ", known) + ")");
                }
            }
        }
    }

    /**
     * Reads a config with {@code read}, rejects unknown keys in {@code sections}, and throws
     * {@link ConfigException} with every problem found. A bad value reads as its key's default, so
     * building the config goes on to the next key; should building it still fail, and problems were
     * found before, those are what is reported, not the failure they led to.
     */
    public <T> T read(java.util.function.Function<ConfigReader, T> read, String... sections) {
        T config;
        try {
            config = read.apply(this);
        } catch (RuntimeException e) {
            if (e instanceof ConfigException || problems.isEmpty()) {
                throw e;
            }
            // the keys after the failure were never read: not unknown, so not looked for
            List<String> all = new ArrayList<>(problems);
            all.add("(reading stopped there: " + e.getMessage() + ")");
            throw new ConfigException(all, e);
        }
        rejectUnknownKeys(sections);
        throwIfInvalid();
        return config;
    }

    // ---- problems and the effective config ------------------------------------------------

    /** Records a problem with {@code path}. */
    public void problem(String path, String reason) {
        problems.add(path + ": " + reason);
    }

    /** True when nothing is wrong so far. */
    public boolean valid() {
        return problems.isEmpty();
    }

    /**
     * Reports every key under {@code sections} that no read asked for: a typo, or a key of a
     * newer version.
     */
    public void rejectUnknownKeys(String... sections) {
        for (String section : sections) {
            Object n = source.node(section);
            if (n instanceof Map<?, ?> m) {
                walkUnknown(section, m);
            } else if (n != null) {
                problem(section, "expected a mapping");
            }
        }
    }

    private void walkUnknown(String path, Map<?, ?> m) {
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String p = path + "." + e.getKey();
            if (consumed.contains(p)) {
                continue;
            }
            if (e.getValue() instanceof Map<?, ?> child) {
                walkUnknown(p, child);
            } else {
                problem(p, "unknown key");
            }
        }
    }

    /** @throws ConfigException with every problem found so far */
    public void throwIfInvalid() {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    public List<String> problems() {
        return List.copyOf(problems);
    }

    private void record(String path, String display) {
        effective.put(path, display);
    }

    /** Every key read and its effective value, secrets masked. */
    public Map<String, String> effective() {
        return Collections.unmodifiableMap(effective);
    }

    /** The effective config as {@code key = value} lines, for the start-up log. */
    public String describeEffective() {
        StringBuilder sb = new StringBuilder();
        effective.forEach((k, v) -> sb.append("\n  ").append(k).append(" = ").append(SecretMasking.mask(v)));
        return sb.toString();
    }
}
