package io.mpipe.collector.replay;

/**
 * Sample values as text, as the formats write them: decimal numbers with an optional exponent
 * ({@code 1.5}, {@code -2}, {@code 1e+20}, {@code .5}) and the special values in the spellings of
 * PostgreSQL's float8 output ({@code NaN}, {@code Infinity}, {@code -Infinity}) and of the
 * Prometheus text formats ({@code NaN}, {@code +Inf}, {@code -Inf}), case-insensitively. Nothing
 * else: unlike {@link Double#parseDouble} this refuses surrounding blanks, hexadecimal and
 * {@code d}/{@code f} suffixes, which no exporter writes and which would hide a shifted column.
 */
final class ValueFormat {

    private ValueFormat() {
    }

    /**
     * Parses one value.
     *
     * @throws BadFieldException with field {@code value}
     */
    static double parse(String s) {
        if (s.isEmpty()) {
            throw new BadFieldException("value", "missing");
        }
        char c = s.charAt(0);
        int start = c == '+' || c == '-' ? 1 : 0;
        if (start < s.length() && Character.isLetter(s.charAt(start))) {
            String word = s.substring(start);
            if (word.equalsIgnoreCase("inf") || word.equalsIgnoreCase("infinity")) {
                return c == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            if (start == 0 && word.equalsIgnoreCase("nan")) {
                return Double.NaN;
            }
            throw notANumber(s);
        }
        if (!isDecimal(s)) {
            throw notANumber(s);
        }
        return Double.parseDouble(s);
    }

    /**
     * True for {@code [+-]?(digits[.digits?]|.digits)([eE][+-]?digits)?}, the exponent at most
     * three digits long (a longer one is either zero, infinite or a typo).
     */
    static boolean isDecimal(String s) {
        int n = s.length();
        int i = 0;
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            i++;
        }
        int intDigits = 0;
        while (i < n && isDigit(s.charAt(i))) {
            i++;
            intDigits++;
        }
        int fracDigits = 0;
        if (i < n && s.charAt(i) == '.') {
            i++;
            while (i < n && isDigit(s.charAt(i))) {
                i++;
                fracDigits++;
            }
        }
        if (intDigits + fracDigits == 0) {
            return false;
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int expDigits = 0;
            while (i < n && isDigit(s.charAt(i))) {
                i++;
                expDigits++;
            }
            if (expDigits == 0 || expDigits > 3) {
                return false;
            }
        }
        return i == n;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static BadFieldException notANumber(String s) {
        return new BadFieldException("value", BadFieldException.quote(s) + " is not a number, NaN or an infinity");
    }
}
