package io.mpipe.collector.publish;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;
import io.mpipe.common.wire.WireFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends metrics to the topic through an idempotent producer, holding at most {@code maxBuffered}
 * records that the broker has not acknowledged yet.
 *
 * <p>Records go through a bounded queue to one sender thread, because a producer's {@code send}
 * blocks (up to {@code max.block.ms}) while the broker is away, and no source may stall on it.
 * While the broker is away the sender keeps the record and tries again; the queue fills; live
 * sources {@link #offer} and see a full buffer drop records (counted), replay {@link #publish}es
 * and waits for room (back-pressure). When the broker is back, the buffer drains in order. What
 * the producer itself gives up on (after {@code delivery.timeout.ms}) is counted and logged.
 */
public final class MetricPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricPublisher.class);
    private static final int DRAIN_BATCH = 1024;

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final int maxBuffered;
    private final Semaphore room;
    private final BlockingQueue<Outgoing> queue;
    private final CollectorMetrics metrics;
    private final Callback onAck;
    private final Thread sender;
    private final java.util.concurrent.atomic.AtomicLong acknowledged = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean closing;
    private volatile long lastErrorLogMs;

    public MetricPublisher(Producer<byte[], byte[]> producer, String topic, int maxBuffered, CollectorMetrics metrics) {
        this.producer = producer;
        this.topic = topic;
        this.maxBuffered = maxBuffered;
        this.room = new Semaphore(maxBuffered);
        this.queue = new ArrayBlockingQueue<>(maxBuffered);
        this.metrics = metrics;
        this.onAck = (md, e) -> {
            room.release();
            if (e == null) {
                acknowledged.incrementAndGet();
                metrics.produced.inc();
            } else {
                failed.incrementAndGet();
                metrics.sendErrors.inc();
                logError("records to " + topic + " could not be delivered (counted in collector_send_errors_total): "
                        + e);
            }
        };
        metrics.bufferedFrom(this::buffered);
        this.sender = new Thread(this::sendLoop, "collector-sender");
        this.sender.setDaemon(true);
        this.sender.start();
    }

    public String topic() {
        return topic;
    }

    /** Records the broker acknowledged so far. */
    public long acknowledged() {
        return acknowledged.get();
    }

    /** Records given up on so far (not delivered). */
    public long failed() {
        return failed.get();
    }

    /** Records taken and not yet acknowledged (queued or in the producer). */
    public int buffered() {
        return maxBuffered - room.availablePermits();
    }

    /**
     * Queues a record without waiting. Returns false, counting the record as dropped, when the
     * buffer is full.
     */
    public boolean offer(Metric m) {
        if (!room.tryAcquire()) {
            metrics.dropped.inc();
            return false;
        }
        enqueue(new Outgoing(m, null, null, null));
        return true;
    }

    /** Queues a record, waiting for room in the buffer first. */
    public void publish(Metric m) throws InterruptedException {
        room.acquire();
        enqueue(new Outgoing(m, null, null, null));
    }

    /**
     * Queues a replayed record (marked with the replay header), waiting for room first.
     *
     * @param seriesKey the metric's series key, computed once by the caller
     * @param encoded   the metric in the wire format when the caller has it, else null
     */
    public void publishReplay(Metric m, String seriesKey, byte[] encoded, String sourceName)
            throws InterruptedException {
        room.acquire();
        enqueue(new Outgoing(m, seriesKey, encoded, sourceName));
    }

    /**
     * A metric on its way: the record is built on the sender thread, which has time to spare,
     * rather than on the thread reading a file or polling a source.
     */
    private record Outgoing(Metric metric, String seriesKey, byte[] encoded, String replayedFrom) {
        ProducerRecord<byte[], byte[]> toRecord(String topic) {
            if (replayedFrom == null) {
                return WireFormat.record(topic, metric);
            }
            return WireFormat.replayRecord(topic, metric, seriesKey, encoded, replayedFrom);
        }
    }

    /** Checks the series key size a sink would refuse; throws so the caller can count and skip. */
    public static void checkSendable(Metric m) {
        MetricRules.checkSeriesKey(m.seriesKey());
    }

    /** The same, for a key already computed. */
    public static void checkSendable(String seriesKey) {
        MetricRules.checkSeriesKey(seriesKey);
    }

    private void enqueue(Outgoing out) {
        queue.add(out); // never full: the queue holds as many as there are permits
    }

    private void sendLoop() {
        List<Outgoing> batch = new ArrayList<>(DRAIN_BATCH);
        try {
            while (!closing || !queue.isEmpty()) {
                Outgoing first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, DRAIN_BATCH - 1);
                for (Outgoing out : batch) {
                    sendHolding(out.toRecord(topic));
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Sends one record; while the broker is unreachable (no metadata within {@code max.block.ms}:
     * the producer fails the record inside {@code send}), holds it and tries again.
     */
    private void sendHolding(ProducerRecord<byte[], byte[]> rec) throws InterruptedException {
        while (true) {
            Ack ack = new Ack();
            try {
                producer.send(rec, ack);
            } catch (KafkaException | IllegalStateException e) {
                onAck.onCompletion(null, e);
                return;
            }
            Exception failed = ack.settle();
            if (failed == null) {
                return;
            }
            if (failed instanceof TimeoutException && !closing) {
                logError("broker unreachable, holding " + buffered() + " record(s): " + failed.getMessage());
                Thread.sleep(100);
                continue;
            }
            onAck.onCompletion(null, failed);
            return;
        }
    }

    /**
     * The callback of one send. A failure reported while {@code send} still runs (on the sender
     * thread) is kept for the sender to decide on; anything later is an acknowledgement.
     */
    private final class Ack implements Callback {
        private boolean inSend = true;
        private Exception syncFailure;

        @Override
        public synchronized void onCompletion(org.apache.kafka.clients.producer.RecordMetadata md, Exception e) {
            if (inSend && e != null && Thread.currentThread() == sender) {
                syncFailure = e;
                return;
            }
            onAck.onCompletion(md, e);
        }

        synchronized Exception settle() {
            inSend = false;
            return syncFailure;
        }
    }

    private void logError(String message) {
        long now = System.currentTimeMillis();
        if (now - lastErrorLogMs > 10_000) {
            lastErrorLogMs = now;
            log.warn("collector: {}", message);
        }
    }

    /** Waits until every record taken so far is acknowledged or failed, up to {@code max}. */
    public boolean flush(Duration max) throws InterruptedException {
        if (room.tryAcquire(maxBuffered, max.toMillis(), TimeUnit.MILLISECONDS)) {
            room.release(maxBuffered);
            return true;
        }
        return false;
    }

    /** Stops the sender (records still queued are tried once more) and closes the producer. */
    @Override
    public void close() {
        closing = true;
        try {
            sender.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sender.interrupt();
        producer.close(Duration.ofSeconds(10));
    }
}
