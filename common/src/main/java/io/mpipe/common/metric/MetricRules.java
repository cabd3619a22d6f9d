package io.mpipe.common.metric;

/**
 * The naming and size rules every metric obeys (the Prometheus data model, plus bounds that keep
 * one record from costing the pipeline more than a few kilobytes).
 */
public final class MetricRules {
    /** Longest metric name, in characters. */
    public static final int MAX_NAME_LENGTH = 200;
    /** Most labels on one series. */
    public static final int MAX_LABELS = 32;
    /** Longest label name, in characters. */
    public static final int MAX_LABEL_NAME_LENGTH = 100;
    /** Longest label value, in characters. */
    public static final int MAX_LABEL_VALUE_LENGTH = 1024;
    /**
     * Longest canonical series key, in UTF-8 bytes. Keeps a key within what a PostgreSQL btree
     * index entry can hold (about 2,700 bytes).
     */
    public static final int MAX_SERIES_KEY_BYTES = 2048;
    /** Smallest timestamp accepted: the epoch. */
    public static final long MIN_TIMESTAMP_MS = 0L;
    /** First timestamp rejected: 2100-01-01T00:00:00Z. Anything later is a unit mistake. */
    public static final long MAX_TIMESTAMP_MS = 4_102_444_800_000L;

    public static final String NAME_PATTERN = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    public static final String LABEL_NAME_PATTERN = "[a-zA-Z_][a-zA-Z0-9_]*";

    private MetricRules() {
    }

    /** True when {@code s} matches {@value #NAME_PATTERN}. */
    public static boolean isValidName(String s) {
        int n = s.length();
        if (n == 0) {
            return false;
        }
        char c = s.charAt(0);
        if (!(isLetter(c) || c == '_' || c == ':')) {
            return false;
        }
        for (int i = 1; i < n; i++) {
            c = s.charAt(i);
            if (!(isLetter(c) || isDigit(c) || c == '_' || c == ':')) {
                return false;
            }
        }
        return true;
    }

    /** True when {@code s} matches {@value #LABEL_NAME_PATTERN}. */
    public static boolean isValidLabelName(String s) {
        int n = s.length();
        if (n == 0) {
            return false;
        }
        char c = s.charAt(0);
        if (!(isLetter(c) || c == '_')) {
            return false;
        }
        for (int i = 1; i < n; i++) {
            c = s.charAt(i);
            if (!(isLetter(c) || isDigit(c) || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /** Checks a metric name, throwing with the field and the reason. */
    public static void checkName(String name) {
        if (name == null) {
            throw new InvalidMetricException("name", "is required");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new InvalidMetricException("name", "longer than " + MAX_NAME_LENGTH + " characters");
        }
        if (!isValidName(name)) {
            throw new InvalidMetricException("name", "'" + abbreviate(name) + "' does not match " + NAME_PATTERN);
        }
    }

    /** Checks one label name, throwing with the field and the reason. */
    public static void checkLabelName(String labelName) {
        if (labelName.length() > MAX_LABEL_NAME_LENGTH) {
            throw new InvalidMetricException("labels", "label name '" + abbreviate(labelName)
                    + "' is longer than " + MAX_LABEL_NAME_LENGTH + " characters");
        }
        if (!isValidLabelName(labelName)) {
            throw new InvalidMetricException("labels." + abbreviate(labelName), "label name does not match "
                    + LABEL_NAME_PATTERN);
        }
        if (labelName.startsWith("__")) {
            throw new InvalidMetricException("labels." + labelName, "label names starting with __ are reserved");
        }
    }

    /**
     * Checks one label value, throwing with the field and the reason. A value is any Unicode text
     * but NUL: PostgreSQL stores neither a NUL character nor an unpaired UTF-16 surrogate (which
     * has no UTF-8 form) in {@code text} or {@code jsonb}, so a value with either would be refused
     * by the database long after the pipeline accepted it.
     */
    public static void checkLabelValue(String labelName, String value) {
        if (value == null) {
            throw new InvalidMetricException("labels." + labelName, "value is null");
        }
        if (value.length() > MAX_LABEL_VALUE_LENGTH) {
            throw new InvalidMetricException("labels." + labelName, "value is longer than "
                    + MAX_LABEL_VALUE_LENGTH + " characters");
        }
        int bad = firstUnstorable(value);
        if (bad >= 0) {
            throw new InvalidMetricException("labels." + labelName, value.charAt(bad) == 0
                    ? "value contains a NUL character (\\u0000) at index " + bad
                    : "value contains an unpaired UTF-16 surrogate (\\u" + Integer.toHexString(value.charAt(bad))
                            + ") at index " + bad);
        }
    }

    /**
     * The index of the first NUL character or unpaired surrogate in {@code s}, or -1 when there is
     * none: text PostgreSQL can store and UTF-8 can encode.
     */
    public static int firstUnstorable(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0xD800) {
                continue; // the common case
            }
            if (c == 0) {
                return i;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return i;
            }
            if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** Checks a timestamp in epoch milliseconds. */
    public static void checkTimestamp(long timestampMs) {
        if (timestampMs < MIN_TIMESTAMP_MS || timestampMs >= MAX_TIMESTAMP_MS) {
            throw new InvalidMetricException("timestamp", timestampMs
                    + " is outside [1970-01-01, 2100-01-01) in epoch milliseconds");
        }
    }

    /** Checks the size of a canonical series key, throwing with the field and the reason. */
    public static void checkSeriesKey(String key) {
        if (key.length() * 3 <= MAX_SERIES_KEY_BYTES) {
            return; // no string this short can be too long in UTF-8
        }
        int bytes = utf8Length(key);
        if (bytes > MAX_SERIES_KEY_BYTES) {
            throw new InvalidMetricException("labels", "series key is " + bytes + " bytes in UTF-8, more than "
                    + MAX_SERIES_KEY_BYTES);
        }
    }

    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }

    private static boolean isLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
