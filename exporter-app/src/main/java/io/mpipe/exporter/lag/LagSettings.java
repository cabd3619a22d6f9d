package io.mpipe.exporter.lag;

import io.mpipe.common.config.ConfigReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code lag} section.
 *
 * @param enabled      {@code lag.enabled}: the exporter runs the lag monitor
 * @param interval     {@code lag.interval}: time between polls of the Admin API
 * @param groups       {@code lag.groups}: regular expressions of the groups to watch (empty: all)
 * @param excludeGroups {@code lag.exclude-groups}: regular expressions of groups to leave out
 * @param probeTimeout {@code lag.probe-timeout}: how long one poll may spend reading the records at
 *                     committed offsets (for lag in seconds)
 */
public record LagSettings(boolean enabled, Duration interval, List<Pattern> groups, List<Pattern> excludeGroups,
        Duration probeTimeout) {

    public LagSettings {
        groups = List.copyOf(groups);
        excludeGroups = List.copyOf(excludeGroups);
    }

    public static LagSettings defaults() {
        return new LagSettings(true, Duration.ofSeconds(10), List.of(), List.of(), Duration.ofSeconds(5));
    }

    public static LagSettings read(ConfigReader r) {
        boolean enabled = r.bool("lag.enabled", true);
        Duration interval = r.duration("lag.interval", Duration.ofSeconds(10), Duration.ofMillis(100),
                Duration.ofHours(1));
        List<Pattern> include = patterns(r, "lag.groups");
        List<Pattern> exclude = patterns(r, "lag.exclude-groups");
        Duration probe = r.duration("lag.probe-timeout", Duration.ofSeconds(5), Duration.ofMillis(100),
                Duration.ofMinutes(5));
        return new LagSettings(enabled, interval, include, exclude, probe);
    }

    private static List<Pattern> patterns(ConfigReader r, String key) {
        List<Pattern> out = new ArrayList<>();
        for (String s : r.stringList(key, List.of())) {
            try {
                out.add(Pattern.compile(s));
            } catch (PatternSyntaxException e) {
                r.problem(key, "'" + s + "' is not a regular expression: " + e.getDescription());
            }
        }
        return out;
    }

    /** True when the group is watched. */
    public boolean watches(String group) {
        for (Pattern p : excludeGroups) {
            if (p.matcher(group).matches()) {
                return false;
            }
        }
        if (groups.isEmpty()) {
            return true;
        }
        for (Pattern p : groups) {
            if (p.matcher(group).matches()) {
                return true;
            }
        }
        return false;
    }

    /** These groups exactly, whatever {@code lag.groups} and {@code lag.exclude-groups} say. */
    public LagSettings withGroups(List<String> exactNames) {
        return new LagSettings(enabled, interval, exactNames.stream().map(Pattern::quote).map(Pattern::compile).toList(),
                List.of(), probeTimeout);
    }
}
