package io.mpipe.cli;

import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.Durations;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** A time on the command line: an ISO-8601 instant, epoch milliseconds, or a duration ago ({@code 24h}, {@code 7d}). */
final class TimeArg {

    private TimeArg() {
    }

    static long parse(String option, String value, long nowMs) {
        try {
            return Instant.parse(value).toEpochMilli();
        } catch (DateTimeParseException e) {
            // not an instant
        }
        if (value.matches("\\d{10,}")) {
            return Long.parseLong(value);
        }
        try {
            return nowMs - Durations.parse(value).toMillis();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(option + ": '" + value + "' is neither an ISO-8601 instant"
                    + " (2026-12-01T00:00:00Z), epoch milliseconds, nor a duration ago (15m, 24h, 7d)");
        }
    }
}
