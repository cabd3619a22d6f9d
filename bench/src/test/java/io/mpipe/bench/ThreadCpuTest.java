package io.mpipe.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ThreadCpuTest {
    @Test
    void threadsGoToTheirPartByName() {
        assertThat(ThreadCpu.partOf("collector-sender")).isEqualTo("collector");
        assertThat(ThreadCpu.partOf("kafka-producer-network-thread | collector-4242")).isEqualTo("collector");
        assertThat(ThreadCpu.partOf("sink-loop-e2e-sink")).isEqualTo("sink");
        assertThat(ThreadCpu.partOf("sink-writer")).isEqualTo("sink");
        assertThat(ThreadCpu.partOf("e2e-exporter-1795849331383-23a225e4-dec2-4d1f-b2ba-1b3f4-StreamThread-1"))
                .isEqualTo("exporter");
        assertThat(ThreadCpu.partOf("exporter-http")).isEqualTo("exporter");
        assertThat(ThreadCpu.partOf("data-plane-kafka-request-handler-3")).isEqualTo("broker");
        assertThat(ThreadCpu.partOf("quorum-controller-1-event-handler")).isEqualTo("broker");
    }

    @Test
    void aThreadsCpuCountsFromItsFirstReadingOrFromItsStart() {
        ThreadCpu.Reading a = new ThreadCpu.Reading(Map.of(1L, "sink-writer", 2L, "collector-sender"),
                Map.of(1L, 1_000_000_000L, 2L, 500_000_000L));
        ThreadCpu.Reading b = new ThreadCpu.Reading(Map.of(1L, "sink-writer", 3L, "collector-sender"),
                Map.of(1L, 1_250_000_000L, 3L, 300_000_000L));
        // thread 2 ended in between (not counted); thread 3 started in between (counted from 0)
        assertThat(ThreadCpu.between(a, b)).containsExactly(Map.entry("collector", 0.3),
                Map.entry("sink", 0.25), Map.entry("exporter", 0.0), Map.entry("broker", 0.0));
    }

    @Test
    void readsThisJvmsThreads() {
        ThreadCpu.Reading r = ThreadCpu.read();
        assertThat(r.names()).containsValue(Thread.currentThread().getName());
    }
}
