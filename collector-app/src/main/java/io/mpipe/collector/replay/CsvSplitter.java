package io.mpipe.collector.replay;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits CSV records into fields as RFC 4180 and PostgreSQL's {@code COPY ... CSV} write them:
 * fields separated by commas; a field that starts with a double quote runs to the next lone
 * double quote and may hold commas, doubled quotes (one quote each) and line breaks. A record
 * whose quoted field is still open at the end of a line continues on the next one, so the caller
 * {@link #feed}s lines until it returns true. Outside quotes a double quote is an ordinary
 * character (lenient, as most readers are); after a closing quote only a comma or the end of the
 * line may follow.
 *
 * <p>Pure and incremental: holds only the record being split. Not thread-safe; {@link #reset}
 * before each record.
 */
final class CsvSplitter {
    private enum State { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED }

    private final List<String> fields = new ArrayList<>(4);
    private final StringBuilder field = new StringBuilder(64);
    private State state = State.FIELD_START;
    private String error;
    private int chars;

    /** Splits a single line; null when it is not one complete, well-formed record. */
    static List<String> splitLine(String line) {
        CsvSplitter s = new CsvSplitter();
        return s.feed(line) && s.error() == null ? s.fields() : null;
    }

    /** Forgets the record split so far. */
    void reset() {
        fields.clear();
        field.setLength(0);
        state = State.FIELD_START;
        error = null;
        chars = 0;
    }

    /**
     * Feeds the next line of the record, without its line terminator.
     *
     * @return true when the record is complete (possibly with an {@link #error()}); false when a
     *         quoted field is still open and the next line belongs to the record
     */
    boolean feed(String line) {
        if (state == State.QUOTED) {
            field.append('\n'); // the line break is part of the quoted field
        }
        chars += line.length() + 1;
        int n = line.length();
        for (int i = 0; i < n; i++) {
            char c = line.charAt(i);
            switch (state) {
                case FIELD_START -> {
                    if (c == '"') {
                        state = State.QUOTED;
                    } else if (c == ',') {
                        endField();
                    } else {
                        field.append(c);
                        state = State.UNQUOTED;
                    }
                }
                case UNQUOTED -> {
                    if (c == ',') {
                        endField();
                    } else {
                        field.append(c);
                    }
                }
                case QUOTED -> {
                    if (c == '"') {
                        state = State.QUOTE_IN_QUOTED;
                    } else {
                        field.append(c);
                    }
                }
                case QUOTE_IN_QUOTED -> {
                    if (c == '"') {
                        field.append('"');
                        state = State.QUOTED;
                    } else if (c == ',') {
                        endField();
                    } else {
                        error = "unexpected " + BadFieldException.quote(String.valueOf(c))
                                + " after a closing quote at column " + (i + 1);
                        return true;
                    }
                }
                default -> throw new IllegalStateException(state.toString());
            }
        }
        if (state == State.QUOTED) {
            return false;
        }
        endField();
        return true;
    }

    /** Whether a quoted field is open: the record needs another line. */
    boolean inQuotedField() {
        return state == State.QUOTED;
    }

    /** Characters fed for this record so far, line breaks included. */
    int chars() {
        return chars;
    }

    /** Why the record is malformed, or null. */
    String error() {
        return error;
    }

    /** The fields of the complete record; the list is reused by the next record. */
    List<String> fields() {
        return fields;
    }

    private void endField() {
        fields.add(field.toString());
        field.setLength(0);
        state = State.FIELD_START;
    }
}
