package io.mpipe.collector.remotewrite;

import io.mpipe.common.config.ConfigReader;
import java.time.Duration;

/**
 * {@code collector.remote-write}: the Prometheus remote write receiver on the collector's HTTP port.
 *
 * @param maxBodyBytes           a request's body (snappy-compressed) at most; 413 beyond
 * @param maxDecodedBytes        a request's body uncompressed at most; 400 beyond, before it is
 *                               uncompressed (what the protobuf decoder builds grows with it)
 * @param maxSamplesPerRequest   samples one request may carry; 400 beyond (Prometheus sends up to
 *                               its {@code max_samples_per_send})
 * @param maxSamplesPerSecond    samples taken a second over all requests; a request beyond is
 *                               503 with {@code Retry-After}, and Prometheus sends it again
 * @param ackTimeout             how long a request waits for the broker to acknowledge its records;
 *                               503 with {@code Retry-After} after it (the records stay in the buffer)
 */
public record RemoteWriteSettings(int maxBodyBytes, int maxDecodedBytes, int maxSamplesPerRequest,
        double maxSamplesPerSecond, Duration ackTimeout) {

    /** The settings, or null when {@code collector.remote-write.enabled} is false. */
    public static RemoteWriteSettings read(ConfigReader r) {
        boolean enabled = r.bool("collector.remote-write.enabled", false);
        int maxBody = r.integer("collector.remote-write.max-body-bytes", 4 << 20, 1024, 256 << 20);
        int maxDecoded = r.integer("collector.remote-write.max-decoded-bytes", 8 << 20, 1024, 1 << 30);
        int maxSamples = r.integer("collector.remote-write.max-samples-per-request", 100_000, 1, 10_000_000);
        double rate = r.number("collector.remote-write.max-samples-per-second", 1_000_000, 1, 1e9);
        Duration ack = r.duration("collector.remote-write.ack-timeout", Duration.ofSeconds(10), Duration.ofMillis(100),
                Duration.ofMinutes(5));
        return enabled ? new RemoteWriteSettings(maxBody, maxDecoded, maxSamples, rate, ack) : null;
    }
}
