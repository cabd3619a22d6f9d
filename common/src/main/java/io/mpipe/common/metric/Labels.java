package io.mpipe.common.metric;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An immutable label set, iterated in label-name order. Backed by two sorted arrays: compact
 * (the exporter holds hundreds of thousands of these) and cheap to build from a decoder.
 *
 * <p>Labels with an empty value are dropped, as in Prometheus, where {@code a=""} and no label
 * {@code a} name the same series.
 */
public final class Labels extends AbstractMap<String, String> {
    public static final Labels EMPTY = new Labels(new String[0], new String[0]);

    private final String[] names;
    private final String[] values;

    private Labels(String[] names, String[] values) {
        this.names = names;
        this.values = values;
    }

    /**
     * Validates and freezes a label map. Returns the argument itself when it already is a
     * {@code Labels}.
     *
     * @throws InvalidMetricException naming the label and the reason
     */
    public static Labels of(Map<String, String> labels) {
        if (labels instanceof Labels frozen) {
            return frozen;
        }
        if (labels == null || labels.isEmpty()) {
            return EMPTY;
        }
        Builder b = new Builder(labels.size());
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (e.getKey() == null) {
                throw new InvalidMetricException("labels", "label name is null");
            }
            b.put(e.getKey(), e.getValue());
        }
        return b.build();
    }

    /** Convenience for tests and code: {@code Labels.of("k1", "v1", "k2", "v2")}. */
    public static Labels of(String... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("key/value pairs expected");
        }
        Builder b = new Builder(keyValues.length / 2);
        for (int i = 0; i < keyValues.length; i += 2) {
            b.put(keyValues[i], keyValues[i + 1]);
        }
        return b.build();
    }

    public static Builder builder() {
        return new Builder(4);
    }

    @Override
    public int size() {
        return names.length;
    }

    @Override
    public boolean isEmpty() {
        return names.length == 0;
    }

    @Override
    public boolean containsKey(Object key) {
        return key instanceof String s && Arrays.binarySearch(names, s) >= 0;
    }

    @Override
    public String get(Object key) {
        if (!(key instanceof String s)) {
            return null;
        }
        int i = Arrays.binarySearch(names, s);
        return i >= 0 ? values[i] : null;
    }

    /** Label name at position {@code i} in sorted order. */
    public String nameAt(int i) {
        return names[i];
    }

    /** Label value at position {@code i} in sorted order. */
    public String valueAt(int i) {
        return values[i];
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, String>> iterator() {
                return new Iterator<>() {
                    private int i;

                    @Override
                    public boolean hasNext() {
                        return i < names.length;
                    }

                    @Override
                    public Entry<String, String> next() {
                        if (i >= names.length) {
                            throw new NoSuchElementException();
                        }
                        Entry<String, String> e = new SimpleImmutableEntry<>(names[i], values[i]);
                        i++;
                        return e;
                    }
                };
            }

            @Override
            public int size() {
                return names.length;
            }
        };
    }

    /** Accumulates labels, validating each one; rejects duplicates. Not thread-safe. */
    public static final class Builder {
        private String[] names;
        private String[] values;
        private int size;

        Builder(int capacity) {
            names = new String[Math.max(capacity, 1)];
            values = new String[Math.max(capacity, 1)];
        }

        /**
         * Adds one label.
         *
         * @throws InvalidMetricException for a bad name, value, a duplicate, or too many labels
         */
        public Builder put(String name, String value) {
            MetricRules.checkLabelName(name);
            MetricRules.checkLabelValue(name, value);
            if (value.isEmpty()) {
                return this;
            }
            for (int i = 0; i < size; i++) {
                if (names[i].equals(name)) {
                    throw new InvalidMetricException("labels." + name, "label appears more than once");
                }
            }
            if (size == MetricRules.MAX_LABELS) {
                throw new InvalidMetricException("labels", "more than " + MetricRules.MAX_LABELS + " labels");
            }
            if (size == names.length) {
                names = Arrays.copyOf(names, size * 2);
                values = Arrays.copyOf(values, size * 2);
            }
            // insertion sort: label sets are small
            int i = size - 1;
            while (i >= 0 && names[i].compareTo(name) > 0) {
                names[i + 1] = names[i];
                values[i + 1] = values[i];
                i--;
            }
            names[i + 1] = name;
            values[i + 1] = value;
            size++;
            return this;
        }

        public Labels build() {
            if (size == 0) {
                return EMPTY;
            }
            return new Labels(Arrays.copyOf(names, size), Arrays.copyOf(values, size));
        }
    }
}
