package io.mpipe.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class CpuMeterTest {
    private static final List<String> STAT = List.of(
            "cpu  1000 0 500 8000 100 0 50 0 0 0",
            "cpu0 500 0 250 4000 50 0 25 0 0 0",
            "cpu1 500 0 250 4000 50 0 25 0 0 0",
            "intr 12345",
            "ctxt 678");

    @Test
    void readsTheAggregateLineAndCountsTheCores() {
        assertThat(CpuMeter.parseCpuLine(STAT.get(0))).containsExactly(1000, 0, 500, 8000, 100, 0, 50, 0);
        assertThat(CpuMeter.cores(STAT)).isEqualTo(2);
        assertThat(CpuMeter.parseCpuLine("cpu0 1 2 3 4 5 6 7 8")).isNull();
        assertThat(CpuMeter.parseCpuLine("")).isNull();
    }

    @Test
    void sharesOfTheMachineScaleByItsCoreSecondsWhateverTheCounterUnit() {
        long s = 1_000_000_000L;
        // over 10 s on 2 cores: 1,500 ticks working, 400 idle, 100 stolen (2,000 ticks = 20 core-seconds)
        CpuMeter.Reading a = new CpuMeter.Reading(new long[] {1000, 0, 500, 8000, 100, 0, 50, 0}, 2, 0, 0);
        CpuMeter.Reading b = new CpuMeter.Reading(new long[] {2000, 0, 900, 8300, 200, 0, 150, 100}, 2, 7 * s, 10 * s);
        CpuMeter.Usage u = CpuMeter.between(a, b);
        assertThat(u.busy()).isCloseTo(0.8, within(1e-9)); // steal counts as busy: not the machine's to give
        assertThat(u.steal()).isCloseTo(0.05, within(1e-9));
        assertThat(u.cpuSecs()).isCloseTo(15.0, within(1e-9)); // 1,500 of 2,000 ticks of 20 core-seconds
        assertThat(u.jvmSecs()).isCloseTo(7.0, within(1e-9));
        assertThat(u.microsEach(1_000_000)).isCloseTo(15.0, within(1e-9));
        assertThat(u.jvmMicrosEach(1_000_000)).isCloseTo(7.0, within(1e-9));
    }

    @Test
    void aMachineThatDoesNotSayGivesNaNNotZero() {
        CpuMeter.Reading a = new CpuMeter.Reading(null, 0, -1, 0);
        CpuMeter.Reading b = new CpuMeter.Reading(null, 0, -1, 1_000_000_000L);
        CpuMeter.Usage u = CpuMeter.between(a, b);
        assertThat(u.busy()).isNaN();
        assertThat(u.microsEach(1000)).isNaN();
        assertThat(u.jvmMicrosEach(1000)).isNaN();
        assertThat(u.microsEach(0)).isNaN();
    }

    @Test
    void readsThisMachine() {
        CpuMeter.Reading r = CpuMeter.read();
        assertThat(r.jvmNanos()).isPositive();
        if (System.getProperty("os.name").startsWith("Linux")) {
            assertThat(r.stat()).hasSize(8);
            assertThat(r.cores()).isPositive();
        }
    }
}
