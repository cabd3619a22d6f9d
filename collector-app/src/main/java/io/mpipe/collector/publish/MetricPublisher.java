package io.mpipe.collector.publish;

import io.mpipe.collector.CollectorMetrics;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;
import io.mpipe.common.wire.WireFormat;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends metrics to the topic through an idempotent producer, holding at most {@code maxBuffered}
 * records that the broker has not acknowledged yet. Live sources {@link #offer} (a full buffer,
 * as while the broker is away, drops the record and counts it); replay {@link #publish}es (waits
 * for room: back-pressure). The producer retries on its own; what it gives up on is counted and
 * logged, and the collector goes on.
 */
public final class MetricPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricPublisher.class);

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final int maxBuffered;
    private final Semaphore room;
    private final CollectorMetrics metrics;
    private final Callback onAck;
    private volatile long lastErrorLogMs;

    public MetricPublisher(Producer<byte[], byte[]> producer, String topic, int maxBuffered, CollectorMetrics metrics) {
        this.producer = producer;
        this.topic = topic;
        this.maxBuffered = maxBuffered;
        this.room = new Semaphore(maxBuffered);
        this.metrics = metrics;
        this.onAck = (md, e) -> {
            room.release();
            metrics.buffered.dec();
            if (e == null) {
                metrics.produced.inc();
            } else {
                metrics.sendErrors.inc();
                long now = System.currentTimeMillis();
                if (now - lastErrorLogMs > 10_000) {
                    lastErrorLogMs = now;
                    log.warn("collector: records to {} could not be delivered (counted in"
                            + " collector_send_errors_total): {}", topic, e.toString());
                }
            }
        };
    }

    public String topic() {
        return topic;
    }

    /** Records sent and not yet acknowledged. */
    public int buffered() {
        return maxBuffered - room.availablePermits();
    }

    /**
     * Sends without waiting. Returns false, counting the record as dropped, when the buffer is
     * full.
     */
    public boolean offer(Metric m) {
        if (!room.tryAcquire()) {
            metrics.dropped.inc();
            return false;
        }
        send(WireFormat.record(topic, m));
        return true;
    }

    /** Sends, waiting for room in the buffer first. */
    public void publish(Metric m) throws InterruptedException {
        room.acquire();
        send(WireFormat.record(topic, m));
    }

    /** Sends a replayed record (marked with the replay header), waiting for room first. */
    public void publishReplay(Metric m, String sourceName) throws InterruptedException {
        room.acquire();
        send(WireFormat.replayRecord(topic, m, sourceName));
    }

    /**
     * Checks the series key size a sink would refuse; throws so the caller can count and skip.
     */
    public static void checkSendable(Metric m) {
        MetricRules.checkSeriesKey(m.seriesKey());
    }

    private void send(ProducerRecord<byte[], byte[]> rec) {
        metrics.buffered.inc();
        try {
            producer.send(rec, onAck);
        } catch (KafkaException | IllegalStateException e) {
            // metadata not available within max.block.ms (broker away at start), or closed
            onAck.onCompletion(null, e);
        }
    }

    /** Waits until every record sent so far is acknowledged or failed, up to {@code max}. */
    public boolean flush(Duration max) throws InterruptedException {
        producer.flush();
        if (room.tryAcquire(maxBuffered, max.toMillis(), TimeUnit.MILLISECONDS)) {
            room.release(maxBuffered);
            return true;
        }
        return false;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
