package io.mpipe.sink.dlq;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads records back from the topic by offset, for the dead letters of rows PostgreSQL refused:
 * the batch keeps only what it writes (series, time, value), and a dead letter carries the record
 * as it was produced. A consumer of its own (no group), made on first use; rarely needed.
 *
 * <p>Used by one thread (the writer).
 */
public final class RecordFetcher implements AutoCloseable {
    private final Supplier<Consumer<byte[], byte[]>> factory;
    private final Duration timeout;
    private Consumer<byte[], byte[]> consumer;

    /**
     * @param factory makes the consumer: the sink's client settings, {@code read_committed}, no group
     * @param timeout how long one fetch may take before the records not found are given up on
     */
    public RecordFetcher(Supplier<Consumer<byte[], byte[]>> factory, Duration timeout) {
        this.factory = factory;
        this.timeout = timeout;
    }

    /**
     * The records at {@code offsets} of {@code tp}, by offset; one that is no longer in the log
     * (deleted by retention), or not read within the timeout, is missing from the answer.
     */
    public Map<Long, ConsumerRecord<byte[], byte[]>> fetch(TopicPartition tp, Set<Long> offsets) {
        Map<Long, ConsumerRecord<byte[], byte[]>> out = new HashMap<>();
        if (offsets.isEmpty()) {
            return out;
        }
        TreeSet<Long> wanted = new TreeSet<>(offsets);
        if (consumer == null) {
            consumer = factory.get();
        }
        consumer.assign(List.of(tp));
        consumer.seek(tp, wanted.first());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!wanted.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200)).records(tp)) {
                if (wanted.remove(r.offset())) {
                    out.put(r.offset(), r);
                }
            }
            if (!wanted.isEmpty() && consumer.position(tp) > wanted.last()) {
                break; // read past them all: the rest are gone
            }
        }
        return out;
    }

    @Override
    public void close() {
        if (consumer != null) {
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
