package io.mpipe.collector.replay;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

/**
 * Reads numbered lines of UTF-8 in constant memory, as bytes: a line ends at {@code \n}, a
 * {@code \r} before it is dropped, a byte-order mark at the start of the file is dropped, and a
 * line longer than {@code maxBytes} comes back cut to that length and marked
 * {@link Line#tooLong()} instead of filling the heap. A line's text is decoded only when asked
 * for: JSON lines are parsed, and sent, straight from their bytes. Lines may be pushed back to be
 * read again. Not thread-safe.
 */
final class LineReader implements Closeable {

    /** One line, without its terminator. */
    static final class Line {
        private final long number;
        private final byte[] bytes;
        private final boolean tooLong;
        private String text;

        Line(long number, byte[] bytes, boolean tooLong) {
            this.number = number;
            this.bytes = bytes;
            this.tooLong = tooLong;
        }

        long number() {
            return number;
        }

        /** The line's UTF-8 bytes (not to be modified). */
        byte[] bytes() {
            return bytes;
        }

        /** The line as text; malformed UTF-8 becomes U+FFFD. */
        String text() {
            if (text == null) {
                text = new String(bytes, StandardCharsets.UTF_8);
            }
            return text;
        }

        boolean tooLong() {
            return tooLong;
        }

        /** True when the line holds only spaces and tabs (or nothing). */
        boolean isBlank() {
            for (byte b : bytes) {
                if (b != ' ' && b != '\t' && b != '\r' && b != '\f' && b != 0x0b) {
                    return false;
                }
            }
            return true;
        }
    }

    private final InputStream in;
    private final int maxBytes;
    private final byte[] buf = new byte[64 * 1024];
    private byte[] line = new byte[256];
    private int lineLen;
    private final ArrayDeque<Line> pushedBack = new ArrayDeque<>();
    private int pos;
    private int limit;
    private long number;
    private boolean eof;

    LineReader(InputStream in, int maxBytes) {
        this.in = in;
        this.maxBytes = maxBytes;
    }

    /** The next line, or null at the end of the input. */
    Line next() throws IOException {
        if (!pushedBack.isEmpty()) {
            return pushedBack.pollFirst();
        }
        if (eof) {
            return null;
        }
        lineLen = 0;
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
            int n = pos - start;
            int room = maxBytes - lineLen;
            if (n > room) {
                tooLong = true;
                n = Math.max(room, 0);
            }
            if (lineLen + n > line.length) {
                line = Arrays.copyOf(line, Math.max(lineLen + n, line.length * 2));
            }
            System.arraycopy(buf, start, line, lineLen, n);
            lineLen += n;
            if (pos < limit) {
                pos++; // the '\n'
                break;
            }
        }
        number++;
        int end = lineLen;
        if (end > 0 && line[end - 1] == '\r' && !tooLong) {
            end--;
        }
        int from = 0;
        if (number == 1 && end >= 3 && line[0] == (byte) 0xEF && line[1] == (byte) 0xBB && line[2] == (byte) 0xBF) {
            from = 3; // byte-order mark
        }
        return new Line(number, Arrays.copyOfRange(line, from, end), tooLong);
    }

    /** Bytes read from the input and not yet returned in a line. */
    int unread() {
        return limit - pos;
    }

    /** Makes {@code line} the next one {@link #next()} returns. */
    void pushBack(Line l) {
        pushedBack.addFirst(l);
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
