package io.mpipe.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.mpipe.bench.CpuMeter;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class E2eBenchTest {
    @Test
    void aLatencyNothingWasMeasuredForIsNoneNotZero() {
        Histogram empty = new Histogram(3_600_000L, 3);
        assertThat(E2eBench.percentile(empty, 99)).isNaN();
        assertThat(E2eBench.ms(E2eBench.percentile(empty, 99))).isEqualTo("none measured");

        E2eBench.Result r = new E2eBench.Result(150_000, 300_000, 350_000, 500_000, 10_000, 18, 34, 46,
                Double.NaN, Double.NaN, List.of(), 10_000, "lz4", E2eBench.HoldUps.NONE, java.util.Optional.empty());
        Map<String, Object> json = r.json();
        assertThat(json).containsEntry("visible_p99_ms_at_10k", null).containsEntry("visible_p50_ms_at_10k", null)
                .containsEntry("commit_p99_ms_at_10k", 46.0);
    }

    @Test
    void aStepsMachineCpuIsItsFiguresOrNoneMeasured() {
        E2eBench.Step measured = new E2eBench.Step(210_000, 209_000, 208_000, 5_000, 209_000, 3_000, true, 0.1, 0,
                0.96, 7.91, 5.04, Map.of());
        E2eBench.Step unknown = new E2eBench.Step(210_000, 209_000, 208_000, 5_000, 209_000, 3_000, true, 0.1, 0,
                Double.NaN, Double.NaN, 5.04, Map.of());
        assertThat(E2eBench.cpu(measured)).isEqualTo("machine 96 % busy, CPU 7.9 us a metric (5.0 in this JVM)");
        assertThat(E2eBench.cpu(unknown)).isEqualTo("machine CPU not measured");

        E2eBench.Result r = new E2eBench.Result(210_000, 300_000, 350_000, 500_000, 10_000, 18, 34, 46, 20, 60,
                List.of(measured, unknown), 10_000, "lz4", E2eBench.HoldUps.NONE, java.util.Optional.empty());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> steps = (List<Map<String, Object>>) r.json().get("steps");
        assertThat(steps.get(0)).containsEntry("machine_busy", 0.96).containsEntry("cpu_us_per_metric", 7.91)
                .containsEntry("jvm_cpu_us_per_metric", 5.04);
        assertThat(steps.get(1)).containsEntry("machine_busy", null).containsEntry("cpu_us_per_metric", null);
    }

    @Test
    void aClusterRunIsReportedBesideOneBrokersUnderItsOwnKeys() {
        E2eBench.Step step = new E2eBench.Step(168_750, 169_000, 168_500, 7_000, 169_000, 900, true, 0.02, 0.13,
                0.97, 11.5, 4.8, Map.of());
        E2eBench.Result one = new E2eBench.Result(300_000, 500_000, 600_000, 700_000, 10_000, 14, 24, 34, 19, 54,
                List.of(), 10_000, "lz4", E2eBench.HoldUps.NONE, java.util.Optional.empty());
        assertThat(one.json()).doesNotContainKeys("brokers", "cluster_sustained_metrics_per_s");
        E2eBench.Result r = new E2eBench.Result(300_000, 500_000, 600_000, 700_000, 10_000, 14, 24, 34, 19, 54,
                List.of(), 10_000, "lz4", E2eBench.HoldUps.NONE, java.util.Optional.of(
                        new E2eBench.ClusterResult(3, 210_000, 20, 60, Double.NaN, List.of(step), 400_000)));
        Map<String, Object> json = r.json();
        assertThat(json).containsEntry("brokers", 3).containsEntry("cluster_sustained_metrics_per_s", 210_000L)
                .containsEntry("ratio_cluster_to_one_broker_sustained", 0.7)
                .containsEntry("cluster_producer_records_per_s", 400_000L)
                .containsEntry("cluster_commit_p99_ms_at_10k", 60.0)
                .containsEntry("cluster_visible_p99_ms_at_10k", null)
                .containsEntry("sustained_metrics_per_s", 300_000L);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> steps = (List<Map<String, Object>>) json.get("cluster_steps");
        assertThat(steps.get(0)).containsEntry("rate", 168_750L).containsEntry("sustained", true);
    }

    @Test
    void aStepsCpuIsSplitIntoTheThreadsPartsTheRestOfTheJvmAndTheRestOfTheMachine() {
        // 2 s of machine CPU over 250,000 metrics, 1.5 s of it in this JVM, 1.2 s of that in its threads
        CpuMeter.Usage machine = new CpuMeter.Usage(0.9, 0, 2.0, 1.5);
        Map<String, Double> threads = new LinkedHashMap<>();
        threads.put("collector", 0.3);
        threads.put("sink", 0.25);
        threads.put("exporter", 0.4);
        threads.put("broker", 0.25);
        Map<String, Double> parts = E2eBench.cpuParts(machine, threads, 250_000);
        assertThat(parts.keySet()).containsExactly("collector", "sink", "exporter", "broker", "jvm_other",
                "outside_jvm");
        assertThat(parts.get("collector")).isCloseTo(1.2, within(1e-9));
        assertThat(parts.get("exporter")).isCloseTo(1.6, within(1e-9));
        assertThat(parts.get("jvm_other")).isCloseTo(1.2, within(1e-9));
        assertThat(parts.get("outside_jvm")).isCloseTo(2.0, within(1e-9));
        assertThat(parts.values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(8.0, within(1e-9));

        E2eBench.Step step = new E2eBench.Step(250_000, 250_000, 250_000, 0, 250_000, 0, true, 0, 0, 0.9, 8.0, 6.0,
                parts);
        assertThat(E2eBench.cpuByPart(step)).isEqualTo("collector 1.2 us, sink 1.0 us, exporter 1.6 us, broker 1.0 us,"
                + " GC, JIT and VM 1.2 us, outside this JVM (PostgreSQL, the kernel, the rest of the host) 2.0 us");
        E2eBench.Result r = new E2eBench.Result(250_000, 300_000, 350_000, 500_000, 10_000, 18, 34, 46, 20, 60,
                List.of(step), 10_000, "lz4", E2eBench.HoldUps.NONE, java.util.Optional.empty());
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) ((List<Map<String, Object>>) r.json().get("steps")).get(0)
                .get("cpu_us_per_metric_by_part");
        assertThat(json).containsEntry("sink", 1.0).containsEntry("outside_jvm", 2.0);

        // a machine that does not say gives no parts, not a made-up split
        assertThat(E2eBench.cpuParts(new CpuMeter.Usage(Double.NaN, Double.NaN, Double.NaN, 1.5), threads, 250_000))
                .isEmpty();
    }

    @Test
    void whatHeldTheLatencyPhaseUpIsReportedOrSaidNotMeasured() {
        E2eBench.HoldUps h = new E2eBench.HoldUps(7, 31, 245.4, 0.012);
        assertThat(h.toString()).isEqualTo("7 GC pauses, the longest 31 ms; the JVM stalled 245 ms at most; steal 1.2 %");
        assertThat(E2eBench.HoldUps.NONE.toString())
                .isEqualTo("0 GC pauses, the longest not measured; the JVM stalled not measured at most; steal not measured");
        E2eBench.Result r = new E2eBench.Result(250_000, 300_000, 350_000, 500_000, 10_000, 18, 34, 46, 20, 60,
                List.of(), 10_000, "lz4", h, java.util.Optional.empty());
        assertThat(r.json()).containsEntry("latency_gc_pauses", 7L).containsEntry("latency_gc_pause_max_ms", 31.0)
                .containsEntry("latency_stall_max_ms", 245.4).containsEntry("latency_steal", 0.012);
        assertThat(new E2eBench.Result(250_000, 300_000, 350_000, 500_000, 10_000, 18, 34, 46, 20, 60,
                List.of(), 10_000, "lz4", E2eBench.HoldUps.NONE, java.util.Optional.empty()).json()).containsEntry("latency_stall_max_ms", null);
    }

    @Test
    void aMeasuredLatencyIsItsPercentile() {
        Histogram h = new Histogram(3_600_000L, 3);
        for (int ms = 1; ms <= 100; ms++) {
            h.recordValue(ms);
        }
        assertThat(E2eBench.percentile(h, 99)).isEqualTo(99.0);
        assertThat(E2eBench.ms(E2eBench.percentile(h, 50))).isEqualTo("50.0");
    }

    @Test
    void aStepStartsOnlyWhenItEndsBeforeTheDeadline() {
        Duration step = Duration.ofSeconds(15);
        long s = 1_000_000_000L;
        long deadline = 173 * s;
        // 30 s left: a 15 s step (and 2 s to start and stop it) may start up to 13 s later
        assertThat(E2eBench.spareBeforeStep(143 * s, deadline, step)).isEqualTo(Duration.ofSeconds(13));
        assertThat(E2eBench.spareBeforeStep(156 * s - 1, deadline, step)).isEqualTo(Duration.ofNanos(1));
        // from then on it would end too late
        assertThat(E2eBench.spareBeforeStep(156 * s, deadline, step)).isEqualTo(Duration.ZERO);
        assertThat(E2eBench.spareBeforeStep(170 * s, deadline, step)).isEqualTo(Duration.ZERO);
    }
}
