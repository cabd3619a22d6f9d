package io.mpipe.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mpipe.common.config.ConfigSource;
import io.mpipe.embedded.EmbeddedKafka;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker taken away for more than 10 s while the collector runs, then brought back. */
class CollectorBrokerOutageIT {

    @Test
    void shouldSurviveABrokerOutageWithinItsBufferAndFlowAgainAfter(@TempDir Path dir) throws Exception {
        EmbeddedKafka broker = EmbeddedKafka.create(dir.resolve("kafka"), 0, Map.of());
        broker.start();
        int maxBuffered = 5_000;
        String yaml = """
                kafka:
                  bootstrap-servers: %s
                  topic: outage-metrics
                  topic-partitions: 2
                collector:
                  http:
                    port: 0
                  producer:
                    max-buffered-records: %d
                    max-block: 1s
                  synthetic:
                    enabled: true
                    series: 100
                    names: 5
                    rate: 2000
                """.formatted(broker.bootstrapServers(), maxBuffered);
        CollectorRegistry registry = new CollectorRegistry();
        try (CollectorApp app = CollectorApp.start(CollectorConfig.load(ConfigSource.parse(yaml, Map.of())), registry)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> registry.getSampleValue("collector_records_produced_total") > 1000);

            broker.stop();
            AtomicInteger maxSeen = new AtomicInteger();
            long until = System.nanoTime() + Duration.ofSeconds(12).toNanos();
            while (System.nanoTime() < until) {
                maxSeen.accumulateAndGet(app.publisher().buffered(), Math::max);
                Thread.sleep(50);
            }
            double producedDuringOutage = registry.getSampleValue("collector_records_produced_total");
            assertThat(maxSeen.get()).as("the buffer filled up to its bound").isEqualTo(maxBuffered);
            assertThat(registry.getSampleValue("collector_dropped_records_total")).as("and then dropped").isPositive();
            assertThat(registry.getSampleValue("collector_buffered_records")).isLessThanOrEqualTo(maxBuffered);
            assertThat(registry.getSampleValue("collector_up", new String[] {"source"}, new String[] {"synthetic"}))
                    .isEqualTo(1.0);

            broker.start();
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    registry.getSampleValue("collector_records_produced_total") > producedDuringOutage + 5_000);
            await().atMost(Duration.ofSeconds(30)).until(() -> app.publisher().buffered() < maxBuffered);
        } finally {
            broker.close();
        }
    }
}
