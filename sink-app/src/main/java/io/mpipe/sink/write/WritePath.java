package io.mpipe.sink.write;

import io.mpipe.common.metric.SeriesKey;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.wire.MetricJson;
import io.mpipe.sink.batch.Batch;
import io.mpipe.sink.copy.CopyBatchWriter;
import io.mpipe.sink.copy.WriteResult;
import io.mpipe.sink.dlq.DeadLetter;
import io.mpipe.sink.dlq.DeadLetterPublisher;
import io.mpipe.sink.dlq.DeadLetterPublisher.DeadLetterException;
import io.mpipe.sink.dlq.RecordFetcher;
import io.mpipe.sink.offsets.OffsetStore;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets a batch into PostgreSQL, telling a bad record from a bad moment ({@link WriteErrors}).
 *
 * <ul>
 *   <li>A bad moment (the connection, a timeout, a shutdown, a lock, the DLQ topic away): the
 *       same batch is tried again after a backoff that doubles up to {@code max-backoff}; nothing
 *       of it is skipped or committed early, and the sink's health says what fails.</li>
 *   <li>An error of the data: the batch is written again with
 *       {@link CopyBatchWriter#writeIsolating}, which stores every row PostgreSQL takes and hands
 *       back those it refuses on their own; they go to the dead-letter topic as they were produced
 *       (read back by offset), with {@code dlq.reason} giving PostgreSQL's message, and the rest
 *       commit with the batch's offsets, in one transaction.</li>
 * </ul>
 *
 * <p>Used by the writer thread only; the health getters may be read from any thread.
 */
public final class WritePath {
    private static final Logger log = LoggerFactory.getLogger(WritePath.class);
    static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    /** The field of a dead letter for a row PostgreSQL refused. */
    public static final String POSTGRES_FIELD = "postgres";

    /** What the write path reports while it works: each call is from the writer thread. */
    public interface Listener {
        /** A write failed and will be tried again. */
        void retrying(Throwable e);

        /** Rows PostgreSQL refused were dead-lettered (before their batch's commit). */
        void refused(int rows);

        Listener NONE = new Listener() {
            @Override
            public void retrying(Throwable e) {
            }

            @Override
            public void refused(int rows) {
            }
        };
    }

    private final CopyBatchWriter writer;
    private final DeadLetterPublisher deadLetters;
    private final RecordFetcher fetcher;
    private final Duration maxBackoff;
    private final Listener listener;
    private volatile boolean databaseUp = true;
    private volatile String problem;

    public WritePath(CopyBatchWriter writer, DeadLetterPublisher deadLetters, RecordFetcher fetcher,
            Duration maxBackoff, Listener listener) {
        this.writer = writer;
        this.deadLetters = deadLetters;
        this.fetcher = fetcher;
        this.maxBackoff = maxBackoff;
        this.listener = listener;
    }

    /**
     * Writes the batch, trying again until it is in, or until {@code abandon} says to stop after a
     * failed attempt (then nothing of it is committed).
     *
     * @throws IllegalStateException when abandoned
     * @throws OffsetStore.Fenced     when the offsets in PostgreSQL refuse the batch (never retried)
     * @throws InterruptedException  when the writer thread is interrupted during a backoff
     */
    public WriteResult write(Batch batch, BooleanSupplier abandon) throws InterruptedException {
        long backoff = MIN_BACKOFF.toMillis();
        int attempt = 0;
        boolean isolate = false;
        while (true) {
            try {
                WriteResult r = isolate ? writer.writeIsolating(batch, this::deadLetter) : writer.write(batch);
                if (!databaseUp) {
                    log.info("sink: the batch is in after {} retries", attempt);
                }
                databaseUp = true;
                problem = null;
                return r;
            } catch (OffsetStore.Fenced e) {
                databaseUp = true;
                problem = null;
                throw e; // another sink holds the partitions: this batch is not to be written, ever
            } catch (SQLException | RuntimeException e) {
                WriteErrors.Kind kind = WriteErrors.classify(e);
                if (!isolate && kind != WriteErrors.Kind.MOMENT) {
                    isolate = true; // the rows' own doing, maybe: find which, at once
                    log.warn("sink: PostgreSQL refused a batch of {} rows (offsets {}): {}; storing it row set by row"
                            + " set to find the rows it refuses", batch.size(), batch.nextOffsets(),
                            WriteErrors.describe(e));
                    continue;
                }
                attempt++;
                databaseUp = false;
                problem = describeProblem(e, kind);
                listener.retrying(e);
                if (abandon.getAsBoolean()) {
                    throw new IllegalStateException("batch abandoned at shutdown after " + attempt + " attempts", e);
                }
                log.warn("sink: writing batch of {} rows (offsets {}) failed, attempt {}; retrying in {} ms: {}",
                        batch.size(), batch.nextOffsets(), attempt, backoff, problem);
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, maxBackoff.toMillis());
            }
        }
    }

    private String describeProblem(Throwable e, WriteErrors.Kind kind) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DeadLetterException d) {
                return "dead-letter topic " + deadLetters.topic() + (d.permanent()
                        ? " refuses this sink's records (an operator must act: rights, or the topic's"
                                + " max.message.bytes): " : " unreachable: ") + d.getCause();
            }
        }
        return (kind == WriteErrors.Kind.MOMENT ? "" : "every row of the batch fails alone, so the database, not"
                + " the data, is blamed: ") + WriteErrors.describe(e);
    }

    /** Dead-letters the rows PostgreSQL refused, as they were produced, and returns once the broker has them. */
    private void deadLetter(Batch b, List<CopyBatchWriter.Refusal> refused) {
        Map<TopicPartition, Set<Long>> wanted = new HashMap<>();
        for (CopyBatchWriter.Refusal f : refused) {
            wanted.computeIfAbsent(b.topicPartitionOf(f.row()), tp -> new HashSet<>()).add(b.offset(f.row()));
        }
        Map<TopicPartition, Map<Long, ConsumerRecord<byte[], byte[]>>> found = new HashMap<>();
        wanted.forEach((tp, offsets) -> found.put(tp, fetcher.fetch(tp, offsets)));
        List<DeadLetter> letters = new ArrayList<>(refused.size());
        for (CopyBatchWriter.Refusal f : refused) {
            TopicPartition tp = b.topicPartitionOf(f.row());
            long offset = b.offset(f.row());
            ConsumerRecord<byte[], byte[]> r = found.get(tp).get(offset);
            String reason = "postgres refused it: " + f.reason();
            if (r != null) {
                letters.add(new DeadLetter(tp.topic(), tp.partition(), offset, r.timestamp(), r.key(), r.value(),
                        r.headers(), POSTGRES_FIELD, reason));
            } else {
                letters.add(rebuilt(b, f.row(), tp, offset, reason));
            }
        }
        deadLetters.publish(letters);
        log.warn("sink: {} row(s) PostgreSQL refused went to {} (the first: {})", refused.size(), deadLetters.topic(),
                refused.get(0).reason());
        listener.refused(refused.size());
    }

    /** A record gone from the topic (retention) is dead-lettered as the sink read it: its series, time and value. */
    private static DeadLetter rebuilt(Batch b, int row, TopicPartition tp, long offset, String reason) {
        String key = b.seriesKeys().get(b.seriesOf(row));
        byte[] value;
        try {
            SeriesKey.Parsed p = SeriesKey.parse(key);
            value = MetricJson.encode(new Metric(p.name(), b.timestamp(row), b.value(row), p.labels()));
        } catch (RuntimeException e) {
            value = null;
        }
        RecordHeaders h = new RecordHeaders();
        h.add("dlq.rebuilt", "the record was no longer in the topic".getBytes(StandardCharsets.UTF_8));
        return new DeadLetter(tp.topic(), tp.partition(), offset, b.timestamp(row), key.getBytes(StandardCharsets.UTF_8),
                value, h, POSTGRES_FIELD, reason);
    }

    /** False while writes fail (the last attempt failed). */
    public boolean databaseUp() {
        return databaseUp;
    }

    /** What makes writes fail now, when they do. */
    public Optional<String> problem() {
        return Optional.ofNullable(problem);
    }
}
