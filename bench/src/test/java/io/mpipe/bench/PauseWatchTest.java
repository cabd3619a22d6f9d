package io.mpipe.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PauseWatchTest {
    @Test
    void seesACollectionPauseAndHowLateItsTickerWoke() throws Exception {
        try (PauseWatch w = PauseWatch.start()) {
            System.gc(); // a full collection: a pause
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (w.gcPauses() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // the notification comes on a JVM thread of its own, after the pause
            }
            assertThat(w.gcPauses()).isPositive();
            Thread.sleep(20);
            // the ticker has been waking, mostly a little after it asked
            assertThat(w.longestStallMs()).isPositive();
        }
    }

    @Test
    void onlyCollectorsThatStopTheApplicationArePauses() {
        assertThat(PauseWatch.isPause("G1 Young Generation")).isTrue();
        assertThat(PauseWatch.isPause("G1 Old Generation")).isTrue();
        assertThat(PauseWatch.isPause("G1 Concurrent GC")).isTrue(); // remark and cleanup, from JDK 20
        assertThat(PauseWatch.isPause("PS Scavenge")).isTrue();
        assertThat(PauseWatch.isPause("ZGC Pauses")).isTrue();
        assertThat(PauseWatch.isPause("ZGC Cycles")).isFalse();
        assertThat(PauseWatch.isPause("ZGC Major Cycles")).isFalse();
        assertThat(PauseWatch.isPause("Shenandoah Cycles")).isFalse();
    }
}
