package io.mpipe.collector.replay;

import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;

/**
 * How to read a replayed file.
 *
 * @param format the file's format, or null to detect it (see {@link ReplayFormat#detect})
 * @param name   the metric name for {@link ReplayFormat#CSV_TS} files, which carry none (required
 *               for them, ignored for the other formats); null when not given
 * @param labels labels to add ({@code --label k=v}); null means none. A {@code CSV_TS} record gets
 *               exactly these labels. A record of the other formats gets each of them that it
 *               does not already have: <b>the file's own label value wins</b>, because replay
 *               must not rewrite the series it restores, only fill in what the export left out.
 * @throws io.mpipe.common.metric.InvalidMetricException for a name that breaks the naming rules
 */
public record ReplayOptions(ReplayFormat format, String name, Labels labels) {

    public ReplayOptions {
        if (name != null) {
            MetricRules.checkName(name);
        }
        if (labels == null) {
            labels = Labels.EMPTY;
        }
    }

    /** Detect the format; no name, no extra labels. */
    public static ReplayOptions detect() {
        return new ReplayOptions(null, null, Labels.EMPTY);
    }

    /** The given format; no name, no extra labels. */
    public static ReplayOptions of(ReplayFormat format) {
        return new ReplayOptions(format, null, Labels.EMPTY);
    }

    /** True when {@code --label}s are added to every record. */
    public boolean addsLabels() {
        return !labels.isEmpty();
    }

    /**
     * Adds the extra {@link #labels} that {@code m} lacks (see the class comment); returns
     * {@code m} itself when there is nothing to add.
     *
     * @throws io.mpipe.common.metric.InvalidMetricException when the result has too many labels
     */
    public Metric withExtraLabels(Metric m) {
        Labels own = m.labels();
        boolean missing = false;
        for (int i = 0; i < labels.size() && !missing; i++) {
            missing = !own.containsKey(labels.nameAt(i));
        }
        if (!missing) {
            return m;
        }
        Labels.Builder b = Labels.builder();
        for (int i = 0; i < own.size(); i++) {
            b.put(own.nameAt(i), own.valueAt(i));
        }
        for (int i = 0; i < labels.size(); i++) {
            if (!own.containsKey(labels.nameAt(i))) {
                b.put(labels.nameAt(i), labels.valueAt(i));
            }
        }
        return new Metric(m.name(), m.timestamp(), m.value(), b.build());
    }
}
