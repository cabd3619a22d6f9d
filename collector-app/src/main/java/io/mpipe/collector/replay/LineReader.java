package io.mpipe.collector.replay;

import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Reads numbered lines in constant memory: a line ends at {@code \n}, a {@code \r} before it is
 * dropped, a byte-order mark at the start of the file is dropped, and a line longer than
 * {@code maxChars} comes back cut to that length and marked {@link Line#tooLong()} instead of
 * filling the heap. Lines may be pushed back to be read again. Not thread-safe.
 */
final class LineReader implements Closeable {
    /** One line, without its terminator. */
    record Line(long number, String text, boolean tooLong) {
    }

    private final Reader in;
    private final int maxChars;
    private final char[] buf = new char[64 * 1024];
    private final StringBuilder line = new StringBuilder(256);
    private final ArrayDeque<Line> pushedBack = new ArrayDeque<>();
    private int pos;
    private int limit;
    private long number;
    private boolean eof;

    LineReader(Reader in, int maxChars) {
        this.in = in;
        this.maxChars = maxChars;
    }

    /** The next line, or null at the end of the input. */
    Line next() throws IOException {
        if (!pushedBack.isEmpty()) {
            return pushedBack.pollFirst();
        }
        if (eof) {
            return null;
        }
        line.setLength(0);
        boolean tooLong = false;
        boolean any = false;
        while (true) {
            if (pos == limit) {
                int read = in.read(buf, 0, buf.length);
                if (read < 0) {
                    eof = true;
                    if (!any) {
                        return null;
                    }
                    break;
                }
                pos = 0;
                limit = read;
                continue;
            }
            any = true;
            int start = pos;
            while (pos < limit && buf[pos] != '\n') {
                pos++;
            }
            int room = maxChars - line.length();
            if (pos - start > room) {
                tooLong = true;
            }
            line.append(buf, start, Math.min(pos - start, Math.max(room, 0)));
            if (pos < limit) {
                pos++; // the '\n'
                break;
            }
        }
        number++;
        int end = line.length();
        if (end > 0 && line.charAt(end - 1) == '\r' && !tooLong) {
            line.setLength(end - 1);
        }
        int from = number == 1 && line.length() > 0 && line.charAt(0) == '\uFEFF' ? 1 : 0;
        return new Line(number, line.substring(from), tooLong);
    }

    /** Makes {@code line} the next one {@link #next()} returns. */
    void pushBack(Line line) {
        pushedBack.addFirst(line);
    }

    /** Makes {@code lines}, in order, the next ones {@link #next()} returns. */
    void pushBack(List<Line> lines) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            pushedBack.addFirst(lines.get(i));
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
