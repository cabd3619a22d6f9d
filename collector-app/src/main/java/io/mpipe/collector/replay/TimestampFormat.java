package io.mpipe.collector.replay;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.LocalDate;

/**
 * Timestamps as text, to epoch milliseconds. Two kinds are accepted:
 *
 * <ul>
 *   <li><b>Date and time</b>: {@code YYYY-MM-DD}, then {@code T} or a space, then
 *       {@code HH:MM[:SS[.fraction]]}, then an optional zone: {@code Z}, or an offset
 *       {@code ±HH}, {@code ±HH:MM}, {@code ±HHMM}, {@code ±HH:MM:SS}. That covers ISO-8601
 *       ({@code 2026-11-27T06:00:00Z}), PostgreSQL's timestamptz output in the default ISO
 *       DateStyle ({@code 2026-11-27 06:00:00.123+00}, {@code 2026-11-27 11:30:00+05:30}) and
 *       zone-less exports such as the NAB data ({@code 2014-02-14 14:27:00}). <b>A date and time
 *       without a zone is UTC.</b> A date alone is midnight UTC.</li>
 *   <li><b>Epoch numbers</b>, see {@link #parseEpoch}: below 10<sup>11</sup> seconds (possibly
 *       fractional), from 10<sup>11</sup> on milliseconds.</li>
 * </ul>
 *
 * <p>Digits below the millisecond (PostgreSQL keeps microseconds) are dropped, rounding toward
 * the past, so a timestamp that went from milliseconds to timestamptz and back is unchanged.
 */
final class TimestampFormat {
    /**
     * Epoch numbers below this are seconds, from it on milliseconds. 10<sup>11</sup> seconds is
     * the year 5138 and 10<sup>11</sup> milliseconds is 1973-03-03, so for every timestamp the
     * pipeline accepts from 1973-03-03 to 2100 the unit is never in doubt: no valid seconds
     * value is this large and no millisecond value after that date this small.
     */
    static final long SECONDS_BELOW = 100_000_000_000L;

    private static final BigDecimal SECONDS_BELOW_DECIMAL = BigDecimal.valueOf(SECONDS_BELOW);

    private TimestampFormat() {
    }

    /**
     * Parses a date and time or an epoch number.
     *
     * @throws BadFieldException with field {@code timestamp}
     */
    static long parse(String s) {
        if (s.isEmpty()) {
            throw new BadFieldException("timestamp", "missing");
        }
        if (s.length() >= 10 && s.charAt(4) == '-' && isDigits(s, 0, 4)) {
            return parseDateTime(s);
        }
        if (ValueFormat.isDecimal(s)) {
            return parseEpoch(s);
        }
        throw notATimestamp(s);
    }

    /**
     * Parses an epoch number: {@code [+-]digits[.digits][e[+-]digits]}. A value whose magnitude is
     * below {@value #SECONDS_BELOW} is seconds, anything else milliseconds.
     *
     * @throws BadFieldException with field {@code timestamp}
     */
    static long parseEpoch(String s) {
        if (!ValueFormat.isDecimal(s)) {
            throw new BadFieldException("timestamp", BadFieldException.quote(s) + " is not an epoch number");
        }
        if (s.length() <= 18 && s.indexOf('.') < 0 && s.indexOf('e') < 0 && s.indexOf('E') < 0) {
            long v = Long.parseLong(s);
            return Math.abs(v) < SECONDS_BELOW ? v * 1000 : v;
        }
        BigDecimal d = new BigDecimal(s);
        if (d.precision() - d.scale() > 18) {
            throw new BadFieldException("timestamp", BadFieldException.quote(s) + " is too large for an epoch timestamp");
        }
        if (d.abs().compareTo(SECONDS_BELOW_DECIMAL) < 0) {
            d = d.movePointRight(3);
        }
        return d.setScale(0, RoundingMode.FLOOR).longValueExact();
    }

    private static long parseDateTime(String s) {
        int n = s.length();
        if (!(s.charAt(7) == '-' && isDigits(s, 5, 2) && isDigits(s, 8, 2))) {
            throw notATimestamp(s);
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = 0;
        int minute = 0;
        int second = 0;
        int nanos = 0;
        int pos = 10;
        if (pos < n) {
            char sep = s.charAt(pos);
            if (!(sep == 'T' || sep == 't' || sep == ' ')
                    || pos + 6 > n || s.charAt(pos + 3) != ':' || !isDigits(s, pos + 1, 2) || !isDigits(s, pos + 4, 2)) {
                throw notATimestamp(s);
            }
            hour = digits(s, pos + 1, 2);
            minute = digits(s, pos + 4, 2);
            pos += 6;
            if (pos < n && s.charAt(pos) == ':') {
                if (!isDigits(s, pos + 1, 2)) {
                    throw notATimestamp(s);
                }
                second = digits(s, pos + 1, 2);
                pos += 3;
                if (pos < n && (s.charAt(pos) == '.' || s.charAt(pos) == ',')) {
                    pos++;
                    int fractionDigits = 0;
                    while (pos < n && isDigit(s.charAt(pos))) {
                        if (fractionDigits < 9) {
                            nanos = nanos * 10 + (s.charAt(pos) - '0');
                        }
                        fractionDigits++;
                        pos++;
                    }
                    if (fractionDigits == 0) {
                        throw notATimestamp(s);
                    }
                    for (int i = fractionDigits; i < 9; i++) {
                        nanos *= 10;
                    }
                }
            }
        }
        int offsetSeconds = 0;
        if (pos < n) {
            char z = s.charAt(pos);
            if (z == 'Z' || z == 'z') {
                pos++;
            } else if (z == '+' || z == '-') {
                pos++;
                int[] parts = new int[3];
                int count = 0;
                while (count < 3 && isDigits(s, pos, 2)) {
                    parts[count++] = digits(s, pos, 2);
                    pos += 2;
                    if (count < 3 && pos < n && s.charAt(pos) == ':' && isDigits(s, pos + 1, 2)) {
                        pos++;
                    }
                }
                if (count == 0 || parts[0] > 18 || parts[1] > 59 || parts[2] > 59) {
                    throw notATimestamp(s);
                }
                offsetSeconds = (z == '-' ? -1 : 1) * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
            }
            if (pos != n) {
                throw notATimestamp(s);
            }
        }
        if (hour > 23 || minute > 59 || second > 59) {
            throw new BadFieldException("timestamp", BadFieldException.quote(s) + " is not a valid time of day");
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException e) {
            throw new BadFieldException("timestamp", BadFieldException.quote(s) + " is not a valid date");
        }
        long secondOfDay = hour * 3600L + minute * 60L + second;
        return (epochDay * 86_400L + secondOfDay - offsetSeconds) * 1000L + nanos / 1_000_000;
    }

    private static boolean isDigits(String s, int from, int count) {
        if (from < 0 || from + count > s.length()) {
            return false;
        }
        for (int i = from; i < from + count; i++) {
            if (!isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static int digits(String s, int from, int count) {
        int v = 0;
        for (int i = from; i < from + count; i++) {
            v = v * 10 + (s.charAt(i) - '0');
        }
        return v;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static BadFieldException notATimestamp(String s) {
        return new BadFieldException("timestamp", BadFieldException.quote(s) + " is not ISO-8601 or epoch");
    }
}
