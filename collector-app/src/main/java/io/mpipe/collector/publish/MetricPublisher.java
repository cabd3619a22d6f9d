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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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
    private final BlockingQueue<Outgoing[]> queue;
    private final CollectorMetrics metrics;
    private final Callback onAck;
    private final Callback ack = this::onSendCompletion;
    /** A failure the producer reported inside {@code send}; only the sender thread touches it. */
    private Exception syncFailure;
    private final Thread sender;
    /** Zero once records may be sent. */
    private final CountDownLatch open;
    private final java.util.concurrent.atomic.AtomicLong acknowledged = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean closing;
    private volatile long lastErrorLogMs;

    public MetricPublisher(Producer<byte[], byte[]> producer, String topic, int maxBuffered, CollectorMetrics metrics) {
        this(producer, topic, maxBuffered, metrics, true);
    }

    /**
     * @param open false to hold every record taken until {@link #open()}: for a topic that is not
     *             known yet to be served by its partitions' leaders ({@code Topics.ensure})
     */
    public MetricPublisher(Producer<byte[], byte[]> producer, String topic, int maxBuffered, CollectorMetrics metrics,
            boolean open) {
        this.open = new CountDownLatch(open ? 0 : 1);
        this.producer = producer;
        this.topic = topic;
        this.maxBuffered = maxBuffered;
        this.room = new Semaphore(maxBuffered);
        this.queue = new ArrayBlockingQueue<>(maxBuffered);
        this.metrics = metrics;
        this.onAck = (md, e) -> {
            if (e == null) {
                acknowledged.incrementAndGet();
                metrics.produced.inc();
            } else {
                failed.incrementAndGet();
                metrics.sendErrors.inc();
                logError("records to " + topic + " could not be delivered (counted in collector_send_errors_total): "
                        + e);
            }
            // last: whoever waits for the room back (flush) then sees this record counted
            room.release();
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
     * Queues the metrics of one poll without waiting, in one hand-off to the sender;
     * {@code seriesKeys.get(i)} is the series key of {@code batch.get(i)}, already checked
     * ({@link #checkSendable(String)}), so the sender does not compute it again. When the buffer
     * has room for only some, the first ones are queued and the rest counted as dropped.
     *
     * @return how many were queued
     */
    public int offer(List<Metric> batch, List<String> seriesKeys) {
        int n = batch.size();
        if (n != seriesKeys.size()) {
            throw new IllegalArgumentException(n + " metrics but " + seriesKeys.size() + " series keys");
        }
        int taken = room.tryAcquire(n) ? n : 0;
        while (taken < n && room.tryAcquire()) {
            taken++;
        }
        if (taken < n) {
            metrics.dropped.inc(n - taken);
        }
        if (taken > 0) {
            Outgoing[] out = new Outgoing[taken];
            for (int i = 0; i < taken; i++) {
                out[i] = new Outgoing(batch.get(i), seriesKeys.get(i), null, null, null);
            }
            enqueue(out);
        }
        return taken;
    }

    /**
     * Queues the metrics of one request whose sender waits for the broker's answer (remote write):
     * all of them, or none when the buffer lacks room for all. {@code seriesKeys} as in
     * {@link #offer}.
     *
     * @return what completes once the broker acknowledged every one of them (exceptionally with the
     *     first failure, once every one is acknowledged or given up on); null when the buffer has no
     *     room for them all (nothing was queued)
     */
    public CompletableFuture<Void> submit(List<Metric> batch, List<String> seriesKeys) {
        int n = batch.size();
        if (n != seriesKeys.size()) {
            throw new IllegalArgumentException(n + " metrics but " + seriesKeys.size() + " series keys");
        }
        Tracker tracker = new Tracker(n);
        if (n == 0) {
            return tracker.done;
        }
        if (closing) {
            return CompletableFuture.failedFuture(new IllegalStateException("the collector is shutting down"));
        }
        if (!room.tryAcquire(n)) {
            return null;
        }
        // the records are built here, on the requests' threads, not on the one sender thread
        Outgoing[] out = new Outgoing[n];
        for (int i = 0; i < n; i++) {
            out[i] = new Outgoing(null, null, null, tracker, WireFormat.record(topic, seriesKeys.get(i), batch.get(i)));
        }
        enqueue(out);
        return tracker.done;
    }

    /** Counts down the records of one {@link #submit}; done when the last is answered. */
    private static final class Tracker {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private final java.util.concurrent.atomic.AtomicInteger left;
        private volatile Exception failure;

        Tracker(int n) {
            left = new java.util.concurrent.atomic.AtomicInteger(n);
            if (n == 0) {
                done.complete(null);
            }
        }

        void answered(Exception e) {
            if (e != null && failure == null) {
                failure = e;
            }
            if (left.decrementAndGet() == 0) {
                if (failure == null) {
                    done.complete(null);
                } else {
                    done.completeExceptionally(failure);
                }
            }
        }
    }

    /**
     * Queues replayed records (marked with the replay header), waiting for room for all of them
     * first; one hand-off to the sender for the lot.
     */
    public void publishReplay(Replayed[] records) throws InterruptedException {
        for (int from = 0; from < records.length; from += maxBuffered) {
            int n = Math.min(maxBuffered, records.length - from); // never wait for more room than there is
            room.acquire(n);
            Outgoing[] out = new Outgoing[n];
            for (int i = 0; i < n; i++) {
                out[i] = new Outgoing(null, null, records[from + i], null, null);
            }
            enqueue(out);
        }
    }

    /**
     * A replayed record ready to send.
     *
     * @param seriesKey its series key, checked by the caller ({@link #checkSendable(String)})
     * @param encoded   its value in the wire format
     * @param source    the {@link WireFormat#REPLAY_HEADER} value: where it was replayed from, in UTF-8
     */
    public record Replayed(String seriesKey, long timestamp, byte[] encoded, byte[] source) {
    }

    /**
     * A metric on its way: a live metric's record is built on the sender thread, which has time to
     * spare, rather than on the thread polling a source; a remote write request's records come
     * built ({@code built}), by the many threads answering requests, so that the one sender thread
     * only sends.
     */
    private record Outgoing(Metric metric, String seriesKey, Replayed replayed, Tracker tracker,
            ProducerRecord<byte[], byte[]> built) {
        ProducerRecord<byte[], byte[]> toRecord(String topic) {
            if (built != null) {
                return built;
            }
            if (replayed == null) {
                return WireFormat.record(topic, seriesKey, metric);
            }
            return WireFormat.replayRecord(topic, replayed.seriesKey(), replayed.timestamp(), replayed.encoded(),
                    replayed.source());
        }
    }

    /** Checks the series key size a sink would refuse; throws so the caller can count and skip. */
    public static void checkSendable(String seriesKey) {
        MetricRules.checkSeriesKey(seriesKey);
    }

    private void enqueue(Outgoing[] out) {
        queue.add(out); // never full: the queue holds at most as many as there are permits
    }

    /**
     * Lets the records taken so far, and all after them, go to the topic: its partitions are
     * served. Until then they wait in the buffer, as while the broker is away.
     */
    public void open() {
        open.countDown();
    }

    private void sendLoop() {
        List<Outgoing[]> batch = new ArrayList<>(DRAIN_BATCH);
        // how far into batch the sends have got: what lies beyond was not sent
        int doneArrays = 0;
        int doneInArray = 0;
        try {
            // held until the topic is served; closing tries what is queued once more, as below
            boolean held = true;
            while (held && !closing) {
                held = !open.await(100, TimeUnit.MILLISECONDS);
            }
            while (!closing || !queue.isEmpty()) {
                Outgoing[] first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, DRAIN_BATCH - 1);
                for (doneArrays = 0; doneArrays < batch.size(); doneArrays++) {
                    Outgoing[] outs = batch.get(doneArrays);
                    for (doneInArray = 0; doneInArray < outs.length; doneInArray++) {
                        sendHolding(outs[doneInArray]);
                    }
                }
                batch.clear();
                doneArrays = 0;
                doneInArray = 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // what was never sent (interrupted at close) is given up on: its room comes back, and a
            // request waiting for it hears so
            giveUpUnsent(batch, doneArrays, doneInArray);
        }
    }

    private void giveUpUnsent(List<Outgoing[]> batch, int fromArray, int fromIndex) {
        Exception closed = new IllegalStateException("the collector closed before the record was sent");
        for (int a = fromArray; a < batch.size(); a++) {
            Outgoing[] outs = batch.get(a);
            for (int i = a == fromArray ? fromIndex : 0; i < outs.length; i++) {
                giveUp(outs[i].tracker(), closed);
            }
        }
        List<Outgoing[]> queued = new ArrayList<>();
        queue.drainTo(queued);
        for (Outgoing[] outs : queued) {
            for (Outgoing out : outs) {
                giveUp(out.tracker(), closed);
            }
        }
    }

    /**
     * Sends one record; while the broker is unreachable (no metadata within {@code max.block.ms}:
     * the producer fails the record inside {@code send}), holds it and tries again.
     */
    private void sendHolding(Outgoing out) throws InterruptedException {
        ProducerRecord<byte[], byte[]> rec = out.toRecord(topic);
        Tracker tracker = out.tracker();
        Callback callback = tracker == null ? ack : (md, e) -> {
            if (e != null && Thread.currentThread() == sender) {
                syncFailure = e;
                return;
            }
            onAck.onCompletion(md, e);
            tracker.answered(e);
        };
        while (true) {
            syncFailure = null;
            try {
                producer.send(rec, callback);
            } catch (KafkaException | IllegalStateException e) {
                giveUp(tracker, e);
                return;
            }
            Exception failed = syncFailure;
            if (failed == null) {
                return;
            }
            if (failed instanceof TimeoutException && !closing) {
                logError("broker unreachable, holding " + buffered() + " record(s): " + failed.getMessage());
                Thread.sleep(100);
                continue;
            }
            giveUp(tracker, failed);
            return;
        }
    }

    private void giveUp(Tracker tracker, Exception e) {
        onAck.onCompletion(null, e);
        if (tracker != null) {
            tracker.answered(e);
        }
    }

    /**
     * The callback of every send. The producer reports a failure inside {@code send} on the
     * calling thread, the sender: that one is kept for the sender to decide on (hold the record,
     * or count it). Every other call comes from the producer's I/O thread: an acknowledgement.
     */
    private void onSendCompletion(org.apache.kafka.clients.producer.RecordMetadata md, Exception e) {
        if (e != null && Thread.currentThread() == sender) {
            syncFailure = e;
            return;
        }
        onAck.onCompletion(md, e);
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
