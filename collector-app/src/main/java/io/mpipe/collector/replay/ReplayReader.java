package io.mpipe.collector.replay;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * Reads a file of historical metrics, one {@link ReplayLine} per record: a {@link ReplayLine.Good}
 * with the metric (validated by the {@code Metric} constructor, original timestamp kept) or a
 * {@link ReplayLine.Bad} with the line number and the reason. A bad record never stops the
 * reading. Blank lines, comments and headers yield nothing.
 *
 * <p><b>Streaming.</b> Memory stays constant whatever the file's size: one line (at most
 * {@value #MAX_LINE_CHARS} characters; a longer one is a {@code Bad}) or one CSV record
 * spanning lines (at most as long) is held at a time.
 *
 * <p><b>Compression.</b> A file starting with the gzip magic bytes {@code 1f 8b} is
 * decompressed, whatever its name. Line numbers count lines of the decompressed text.
 *
 * <p><b>Format.</b> {@link ReplayOptions#format()}, or when that is null
 * {@link ReplayFormat#detect} from the file name (without {@code .gz}) and the first non-blank
 * line. An empty file reads as {@code JSONL} (it yields nothing either way). Text is UTF-8 (a byte
 * sequence that is not becomes U+FFFD); a line ends at {@code \n} or {@code \r\n}. For the rules of each format see {@link JsonLinesParser},
 * {@link CsvParser}, {@link OpenMetricsParser}, {@link TimestampFormat} and {@link ValueFormat}:
 * in short, timestamps without a zone are UTC, epoch numbers below 10<sup>11</sup> are seconds and
 * others milliseconds (OpenMetrics seconds and Prometheus milliseconds alike), and
 * {@link ReplayOptions#labels()} are added to records that lack them.
 *
 * <p>{@link #hasNext()} and {@link #next()} throw {@link UncheckedIOException} when the file
 * cannot be read (a truncated gzip stream, a disk error): that is a failure of the whole file,
 * not of a line. Not thread-safe.
 */
public final class ReplayReader implements Iterator<ReplayLine>, AutoCloseable {
    /** Longest line, and longest CSV record spanning lines, in characters. */
    public static final int MAX_LINE_CHARS = 1 << 20;

    private final Path file;
    private final ReplayFormat format;
    private final CountingInputStream counter;
    /** The file's bytes read and not yet inflated or split into lines. */
    private final Buffered buffered;
    /** Null for a file that is not compressed. */
    private final Gzip gzip;
    private final LineReader lines;
    private final JsonLinesParser jsonLines;
    private final CsvParser csv;
    private final CsvSplitter splitter;
    private final OpenMetricsParser openMetrics;
    private ReplayLine pending;
    private boolean finished;
    private boolean closed;

    private ReplayReader(Path file, ReplayFormat format, ReplayOptions options, CountingInputStream counter,
            Buffered buffered, Gzip gzip, LineReader lines) {
        this.file = file;
        this.format = format;
        this.buffered = buffered;
        this.gzip = gzip;
        this.counter = counter;
        this.lines = lines;
        this.jsonLines = format == ReplayFormat.JSONL ? new JsonLinesParser(options) : null;
        boolean isCsv = format == ReplayFormat.CSV || format == ReplayFormat.CSV_TS;
        this.csv = isCsv ? new CsvParser(format, options) : null;
        this.splitter = isCsv ? new CsvSplitter() : null;
        this.openMetrics = format == ReplayFormat.OPENMETRICS ? new OpenMetricsParser(options) : null;
    }

    /**
     * Opens {@code file} for reading; the caller closes the reader.
     *
     * @throws IOException              when the file cannot be opened or its gzip header is broken
     * @throws IllegalArgumentException when the format is not given and cannot be detected, or a
     *                                  {@code CSV_TS} file is to be read without a metric name
     */
    public static ReplayReader open(Path file, ReplayOptions options) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        CountingInputStream counter = new CountingInputStream(Files.newInputStream(file));
        LineReader lines = null;
        try {
            Buffered buffered = new Buffered(counter);
            InputStream in = buffered;
            in.mark(2);
            boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
            in.reset();
            Gzip gz = null;
            if (gzip) {
                in = gz = new Gzip(in);
            }
            lines = new LineReader(in, MAX_LINE_CHARS);
            ReplayFormat format = options.format();
            if (format == null) {
                format = detect(file, lines);
            }
            if (format == ReplayFormat.CSV_TS && options.name() == null) {
                throw new IllegalArgumentException("--name: " + file + " is a timestamp,value (csv-ts) file, which"
                        + " names no metric: give the metric's name");
            }
            return new ReplayReader(file, format, options, counter, buffered, gz, lines);
        } catch (IOException | RuntimeException e) {
            try {
                if (lines != null) {
                    lines.close();
                } else {
                    counter.close();
                }
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static ReplayFormat detect(Path file, LineReader lines) throws IOException {
        LineReader.Line line = lines.next();
        while (line != null && line.isBlank()) {
            line = lines.next(); // blank lines yield nothing in any format: no need to keep them
        }
        if (line == null) {
            return ReplayFormat.detect(String.valueOf(file.getFileName()), null).orElse(ReplayFormat.JSONL);
        }
        LineReader.Line first = line;
        lines.pushBack(first);
        return ReplayFormat.detect(String.valueOf(file.getFileName()), first.text())
                .orElseThrow(() -> new IllegalArgumentException(file + ": cannot tell the format from the name or"
                        + " from line " + first.number() + " " + BadFieldException.quote(first.text())
                        + "; give the format"));
    }

    /** The format being read: as given, or as detected. */
    public ReplayFormat format() {
        return format;
    }

    /**
     * How far into the file the lines read so far reach, in the file's bytes (compressed bytes for a
     * gzip file), so that progress can be measured against the file's size: the bytes read from
     * the file less those still waiting in the buffers. For a gzip file the decompressed text
     * waiting to be split into lines is not taken off (at most 64 KB of it). Once the reading has
     * finished, everything read from the file.
     */
    public long bytesRead() {
        if (finished) {
            return counter.count; // at the end (or at # EOF), all that was read
        }
        // (the buffers are only asked while open: closing finishes the reading)
        // decompressed text waiting for the line splitter is not in the file's bytes: not taken off
        return counter.count - buffered.unread() - (gzip != null ? gzip.unread() : lines.unread());
    }

    @Override
    public boolean hasNext() {
        if (pending == null && !finished) {
            try {
                pending = advance();
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + file, e);
            }
        }
        return pending != null;
    }

    @Override
    public ReplayLine next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        ReplayLine r = pending;
        pending = null;
        return r;
    }

    private ReplayLine advance() throws IOException {
        while (true) {
            LineReader.Line l = lines.next();
            if (l == null) {
                finished = true;
                return null;
            }
            if (l.tooLong()) {
                return ReplayLine.Bad.of(l.number(), "line", "longer than " + MAX_LINE_CHARS + " characters");
            }
            if (l.isBlank()) {
                continue;
            }
            ReplayLine r = switch (format) {
                case JSONL -> jsonLines.parse(l.number(), l.bytes());
                case CSV, CSV_TS -> readCsvRecord(l);
                case OPENMETRICS -> {
                    String text = l.text();
                    if (OpenMetricsParser.isEof(text)) {
                        finished = true;
                        yield null;
                    }
                    yield openMetrics.parse(l.number(), text);
                }
            };
            if (finished) {
                return null;
            }
            if (r != null) {
                return r;
            }
        }
    }

    /**
     * Reads the CSV record starting with {@code first}, taking further lines while a quoted field
     * is open. A field still open at the end of the file or after {@value #MAX_LINE_CHARS}
     * characters, or a record spanning lines that is malformed, makes the first line a
     * {@code Bad}, and the lines taken after it are read again as records of their own: a stray
     * quote costs one line, not the rest of the file.
     */
    private ReplayLine readCsvRecord(LineReader.Line first) throws IOException {
        splitter.reset();
        List<LineReader.Line> taken = List.of();
        if (!splitter.feed(first.text())) {
            taken = new ArrayList<>();
            while (true) {
                LineReader.Line l = lines.next();
                if (l == null || l.tooLong() || splitter.chars() + l.text().length() > MAX_LINE_CHARS) {
                    if (l != null) {
                        taken.add(l);
                    }
                    lines.pushBack(taken);
                    return ReplayLine.Bad.of(first.number(), "csv", "quoted field is not closed "
                            + (l == null ? "before the end of the file" : "within " + MAX_LINE_CHARS + " characters"));
                }
                taken.add(l);
                if (splitter.feed(l.text())) {
                    break;
                }
            }
        }
        if (splitter.error() != null) {
            if (taken.isEmpty()) {
                return ReplayLine.Bad.of(first.number(), "csv", splitter.error());
            }
            lines.pushBack(taken);
            return ReplayLine.Bad.of(first.number(), "csv", "quoted field opened on this line ends badly on line "
                    + taken.get(taken.size() - 1).number() + ": " + splitter.error());
        }
        return csv.parse(first.number(), splitter.fields());
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            finished = true;
            lines.close();
        }
    }

    /** A buffer over the file that says how much of it is not read yet. */
    private static final class Buffered extends BufferedInputStream {
        Buffered(InputStream in) {
            super(in, 64 * 1024);
        }

        int unread() {
            return count - pos;
        }
    }

    /** Decompression that says how much compressed input it holds, not yet inflated. */
    private static final class Gzip extends GZIPInputStream {
        Gzip(InputStream in) throws IOException {
            super(in, 64 * 1024);
        }

        private boolean ended;

        int unread() {
            return ended ? 0 : inf.getRemaining(); // at the end, what remains is the trailer, read
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            ended = n < 0;
            return n;
        }
    }

    /** Counts the bytes read from the file, beneath any decompression. */
    private static final class CountingInputStream extends FilterInputStream {
        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }
    }
}
