package io.mpipe.exporter.store;

import io.mpipe.common.metric.Labels;
import java.util.List;

/** A copy of part of a series, safe to use outside the store's lock. Samples newest first. */
public record SeriesSnapshot(String key, String name, Labels labels, List<SeriesWindow.Sample> samples) {
    public SeriesSnapshot {
        samples = List.copyOf(samples);
    }

    static SeriesSnapshot of(SeriesWindow w, long from, long to, int limit) {
        return new SeriesSnapshot(w.key(), w.name(), w.labels(), List.of(w.newestFirst(from, to, limit)));
    }
}
