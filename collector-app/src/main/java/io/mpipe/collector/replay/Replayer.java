package io.mpipe.collector.replay;

import io.mpipe.collector.publish.MetricPublisher;
import io.mpipe.common.metric.InvalidMetricException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Replays files of historical metrics onto the topic: each good line becomes exactly one record
 * with its original timestamp, marked with the replay header; bad lines are counted and reported
 * with their file and line number and never stop the replay. Optionally paced to a rate; with no
 * publisher it only reads (a dry run).
 */
public final class Replayer {
    /** How many rejections the summary lists (all are counted). */
    public static final int MAX_LISTED_REJECTIONS = 20;

    /** A bad line, with its file. */
    public record Rejection(String file, long line, String reason) {
    }

    /**
     * What a replay did: lines read, good records, records the broker acknowledged ({@code sent},
     * 0 in a dry run) and records it did not take ({@code failed}), bad lines ({@code rejected});
     * of the good records, how many are older than the cutoff given with {@link #countOlderThan},
     * and the oldest timestamp ({@link Long#MAX_VALUE} with none).
     */
    public record Summary(long read, long good, long sent, long failed, long rejected, List<Rejection> firstRejections,
            Duration elapsed, long olderThanCutoff, long oldestTimestamp) {
        public Summary {
            firstRejections = List.copyOf(firstRejections);
        }
    }

    /**
     * Progress callback: records read so far, how far into all the files they reach (bytes), the
     * files' total bytes, and the time since the replay started sending.
     */
    @FunctionalInterface
    public interface Progress {
        void update(long records, long bytesRead, long totalBytes, Duration elapsed);
    }

    private final ReplayOptions options;
    private final double ratePerSecond;
    private long cutoffMs = Long.MIN_VALUE;

    /** @param ratePerSecond records per second at most; 0 for as fast as the broker takes them */
    public Replayer(ReplayOptions options, double ratePerSecond) {
        this.options = Objects.requireNonNull(options, "options");
        if (ratePerSecond < 0) {
            throw new IllegalArgumentException("rate must not be negative");
        }
        this.ratePerSecond = ratePerSecond;
    }

    /** Counts the good records older than {@code epochMs} (for instance, what a sink's retention skips). */
    public Replayer countOlderThan(long epochMs) {
        this.cutoffMs = epochMs;
        return this;
    }

    /**
     * Replays {@code files} in order.
     *
     * @param publisher null for a dry run (parse and report only)
     * @throws IOException when a file cannot be read at all (missing, not gzip though it says so)
     */
    public Summary run(List<Path> files, MetricPublisher publisher, Progress progress)
            throws IOException, InterruptedException {
        long totalBytes = 0;
        for (Path f : files) {
            totalBytes += Files.size(f);
        }
        long t0 = System.nanoTime();
        long ackedBefore = publisher == null ? 0 : publisher.acknowledged();
        long failedBefore = publisher == null ? 0 : publisher.failed();
        long read = 0;
        long good = 0;
        long rejected = 0;
        long old = 0;
        long oldest = Long.MAX_VALUE;
        List<Rejection> listed = new ArrayList<>();
        long lastProgress = 0;
        // handed to the publisher in small groups: one hand-off per group, pacing between groups
        MetricPublisher.Replayed[] pending = new MetricPublisher.Replayed[ratePerSecond > 0
                ? (int) Math.max(1, Math.min(PUBLISH_GROUP, ratePerSecond / 100)) : PUBLISH_GROUP];
        int pendingCount = 0;
        // reading and parsing run a chunk ahead on a thread of their own; this thread validates and publishes
        BlockingQueue<Chunk> chunks = new ArrayBlockingQueue<>(16);
        Thread reader = new Thread(() -> readAll(files, chunks), "replay-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            while (true) {
                Chunk chunk = chunks.take();
                if (chunk.error() != null) {
                    throw chunk.error();
                }
                if (chunk.lines() == null) {
                    break;
                }
                byte[] source = chunk.file().getBytes(StandardCharsets.UTF_8);
                for (ReplayLine line : chunk.lines()) {
                    read++;
                    if (line instanceof ReplayLine.Good g) {
                        String key = g.seriesKey();
                        try {
                            MetricPublisher.checkSendable(key);
                        } catch (InvalidMetricException e) {
                            rejected++;
                            if (listed.size() < MAX_LISTED_REJECTIONS) {
                                listed.add(new Rejection(chunk.file(), g.line(), e.getMessage()));
                            }
                            continue;
                        }
                        good++;
                        if (g.timestamp() < cutoffMs) {
                            old++;
                        }
                        oldest = Math.min(oldest, g.timestamp());
                        pending[pendingCount++] = new MetricPublisher.Replayed(key, g.timestamp(), g.encoded(), source);
                        if (pendingCount == pending.length) {
                            pendingCount = publish(publisher, pending, pendingCount, t0, good);
                        }
                    } else if (line instanceof ReplayLine.Bad b) {
                        rejected++;
                        if (listed.size() < MAX_LISTED_REJECTIONS) {
                            listed.add(new Rejection(chunk.file(), b.line(), b.reason()));
                        }
                    }
                }
                // a chunk ends with its file: what is left goes now (and is paced: small files count too)
                pendingCount = publish(publisher, pending, pendingCount, t0, good);
                long now = System.nanoTime();
                if (now - lastProgress > 200_000_000L) {
                    lastProgress = now;
                    progress.update(read, chunk.bytesDone(), totalBytes, Duration.ofNanos(now - t0));
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            reader.interrupt();
        }
        if (publisher != null && !publisher.flush(Duration.ofMinutes(5))) {
            throw new IOException(publisher.buffered() + " record(s) not acknowledged by the broker within 5 min");
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        progress.update(read, totalBytes, totalBytes, elapsed);
        long sent = publisher == null ? 0 : publisher.acknowledged() - ackedBefore;
        long failed = publisher == null ? 0 : publisher.failed() - failedBefore;
        return new Summary(read, good, sent, failed, rejected, listed, elapsed, old, oldest);
    }

    /**
     * Publishes the first {@code n} of {@code pending} (nothing on a dry run), then waits as long
     * as {@code --rate} asks for {@code good} records since {@code t0}; returns 0.
     */
    private int publish(MetricPublisher publisher, MetricPublisher.Replayed[] pending, int n, long t0, long good)
            throws InterruptedException {
        if (n == 0) {
            return 0;
        }
        if (publisher != null) {
            publisher.publishReplay(Arrays.copyOf(pending, n));
        }
        Arrays.fill(pending, 0, n, null);
        if (ratePerSecond > 0) {
            pace(t0, good);
        }
        return 0;
    }

    /** Lines of a file, parsed; {@code lines} null marks the end; {@code error} a file that could not be read. */
    private record Chunk(String file, List<ReplayLine> lines, long bytesDone, RuntimeException error) {
    }

    private static final int CHUNK = 512;
    private static final int PUBLISH_GROUP = 64;

    private void readAll(List<Path> files, BlockingQueue<Chunk> out) {
        try {
            long doneBytes = 0;
            for (Path f : files) {
                String fileName = f.getFileName().toString();
                try (ReplayReader reader = ReplayReader.open(f, options)) {
                    List<ReplayLine> lines = new ArrayList<>(CHUNK);
                    while (reader.hasNext()) {
                        lines.add(reader.next());
                        if (lines.size() == CHUNK) {
                            out.put(new Chunk(fileName, lines, doneBytes + reader.bytesRead(), null));
                            lines = new ArrayList<>(CHUNK);
                        }
                    }
                    doneBytes += Files.size(f);
                    if (!lines.isEmpty()) {
                        out.put(new Chunk(fileName, lines, doneBytes, null));
                    }
                } catch (IOException e) {
                    out.put(new Chunk(fileName, null, doneBytes, new UncheckedIOException("reading " + f, e)));
                    return;
                } catch (RuntimeException e) {
                    out.put(new Chunk(fileName, null, doneBytes, e));
                    return;
                }
            }
            out.put(new Chunk(null, null, doneBytes, null));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void pace(long t0, long done) throws InterruptedException {
        long dueNanos = (long) (done / ratePerSecond * 1e9);
        long ahead = dueNanos - (System.nanoTime() - t0);
        if (ahead > 1_000_000) {
            Thread.sleep(ahead / 1_000_000, (int) (ahead % 1_000_000));
        }
    }
}
