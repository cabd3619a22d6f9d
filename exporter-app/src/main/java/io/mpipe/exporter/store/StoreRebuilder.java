package io.mpipe.exporter.store;

import io.mpipe.common.wire.MetricDecodeException;
import io.mpipe.common.wire.SampleDecoder;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refills a store partition from the source topic after a restart: the records of the last
 * window, up to the end of the partition as it is when the rebuild starts. Records the task then
 * processes again are the same samples, which the store takes idempotently.
 */
public final class StoreRebuilder {
    private static final Logger log = LoggerFactory.getLogger(StoreRebuilder.class);

    private final Supplier<Consumer<byte[], byte[]>> consumers;
    private final String topic;
    private final Clock clock;
    private final long maxFutureMs;

    /** @param maxFuture a sample further ahead of the clock is skipped, as the live path skips it */
    public StoreRebuilder(Supplier<Consumer<byte[], byte[]>> consumers, String topic, Clock clock, Duration maxFuture) {
        this.maxFutureMs = maxFuture.toMillis();
        this.consumers = consumers;
        this.topic = topic;
        this.clock = clock;
    }

    /** Rebuilds {@code partition} into {@code store}; returns the samples read. */
    public long rebuild(int partition, Duration window, WindowedLruStore store) {
        TopicPartition tp = new TopicPartition(topic, partition);
        long now = clock.millis();
        long n = 0;
        SampleDecoder decoder = new SampleDecoder();
        try (Consumer<byte[], byte[]> c = consumers.get()) {
            c.assign(List.of(tp));
            long end = c.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
            Map<TopicPartition, OffsetAndTimestamp> start =
                    c.offsetsForTimes(Map.of(tp, now - window.toMillis()), Duration.ofSeconds(30));
            OffsetAndTimestamp from = start.get(tp);
            if (from == null || from.offset() >= end) {
                return 0;
            }
            c.seek(tp, from.offset());
            while (c.position(tp) < end) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (r.offset() >= end) {
                        break;
                    }
                    try {
                        decoder.decode(r.value());
                        decoder.checkKey(r.key());
                        if (decoder.timestamp() < now - window.toMillis() || decoder.timestamp() > now + maxFutureMs) {
                            continue; // replayed history after the start offset, or far ahead: not part of the window
                        }
                        // received when it was written, as far as staleness goes
                        store.put(decoder.key(), null, decoder.timestamp(), decoder.value(),
                                Math.min(now, r.timestamp()), decoder::metric);
                        n++;
                    } catch (MetricDecodeException e) {
                        // the live path counts bad records; the rebuild just skips them
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("rebuilding partition {} of {} failed after {} samples; the store holds what arrives from now"
                    + " on: {}", partition, topic, n, e.toString());
        }
        return n;
    }

    /** Consumer properties for a rebuild: no group, read committed. */
    public static Properties consumerProperties(Properties base) {
        Properties p = new Properties();
        p.putAll(base);
        p.put("enable.auto.commit", "false");
        p.put("isolation.level", "read_committed");
        p.put("max.poll.records", "10000");
        p.remove("group.id");
        return p;
    }
}
