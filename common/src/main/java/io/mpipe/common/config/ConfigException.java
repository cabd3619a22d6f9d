package io.mpipe.common.config;

import java.util.List;

/**
 * A configuration that cannot be used. Carries every problem found, each naming its key, so a
 * user fixes them all in one go. Commands exit with code 2 on it.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    /** The problems found, and the failure they led to. */
    public ConfigException(List<String> problems, Throwable cause) {
        super(format(problems), cause);
        this.problems = List.copyOf(problems);
    }

    public ConfigException(String problem) {
        this(List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }

    private static String format(List<String> problems) {
        StringBuilder sb = new StringBuilder("invalid configuration (")
                .append(problems.size()).append(problems.size() == 1 ? " problem" : " problems").append("):");
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }
}
