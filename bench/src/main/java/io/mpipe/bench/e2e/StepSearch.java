package io.mpipe.bench.e2e;

import io.mpipe.bench.BenchOutput;
import io.mpipe.bench.CpuMeter;
import io.mpipe.bench.ThreadCpu;
import io.mpipe.collector.CollectorApp;
import io.prometheus.client.CollectorRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The highest rate the pipeline keeps up with: a warm-up near the top of the search, not judged,
 * then from 112,500/s up by half while kept up (down by a third while not), then once halfway
 * between the last rate kept up with and the first one not; every step ends by a deadline.
 */
final class StepSearch {
    /** When the last step must end, from the start of the run, not counting {@code --duration}. */
    static final Duration STEPS_END = Duration.ofSeconds(153);
    /**
     * Starting and stopping a step's collector, beyond the step's length: its producer's set-up,
     * and at close the records it still holds (about a second of them at a rate it cannot make).
     */
    static final Duration STEP_MARGIN = Duration.ofSeconds(2);
    /** Longest wait for the consumers to finish a step's backlog. */
    static final Duration MAX_DRAIN = Duration.ofSeconds(60);
    /** Rate and length of the warm-up before the step search. */
    static final double WARM_UP_RATE = 200_000;
    static final Duration WARM_UP = Duration.ofSeconds(35);
    static final Duration STEP = Duration.ofSeconds(15);
    static final double FIRST_RATE = 112_500;

    /** The highest rate kept up with (0 when none was), and every step made. */
    record Found(double sustained, List<E2eBench.Step> steps) {
    }

    private StepSearch() {
    }

    static Found run(Pipeline pipeline, E2eBench.Options o, long deadline) throws Exception {
        // the code the pipeline runs at high rates (bigger polls, batches and requests) is compiled
        // by the JIT in the warm-up, not during the steps
        warmUp(pipeline, o, WARM_UP);
        List<E2eBench.Step> steps = new ArrayList<>();
        double sustained = 0;
        double keptUp = 0;
        double fellBehind = 0;
        double rate = FIRST_RATE;
        for (int i = 0; i < 8 && rate <= 1_000_000 && rate >= 1_000; i++) {
            if (!drainThenTimeFor(STEP, deadline, pipeline)) {
                break;
            }
            E2eBench.Step step = step(pipeline, rate, o, STEP);
            steps.add(step);
            E2eReport.progress(step);
            if (step.sustained()) {
                sustained = Math.max(sustained, step.produced());
                keptUp = rate;
                if (fellBehind > 0) {
                    break;
                }
                rate *= 1.5;
            } else {
                fellBehind = rate;
                if (keptUp > 0) {
                    break;
                }
                rate /= 1.5;
            }
        }
        if (keptUp > 0 && fellBehind > keptUp && drainThenTimeFor(STEP, deadline, pipeline)) {
            E2eBench.Step step = step(pipeline, (keptUp + fellBehind) / 2, o, STEP);
            steps.add(step);
            E2eReport.progress(step);
            if (step.sustained()) {
                sustained = Math.max(sustained, step.produced());
            }
        }
        return new Found(sustained, steps);
    }

    /**
     * Lets the consumers finish what the last step left (for as long as a step would still fit
     * after it, at most a minute), then says whether one more step fits before {@code deadline}.
     * The wait comes first: after a step the pipeline fell behind in, it can take seconds, and a
     * step started after it must still end in time.
     */
    static boolean drainThenTimeFor(Duration step, long deadline, Pipeline pipeline) throws InterruptedException {
        Duration spare = spareBeforeStep(System.nanoTime(), deadline, step);
        if (!spare.isZero()) {
            pipeline.drain(spare.compareTo(MAX_DRAIN) < 0 ? spare : MAX_DRAIN);
        }
        if (!spareBeforeStep(System.nanoTime(), deadline, step).isZero()) {
            return true;
        }
        BenchOutput.progress("step search stops here: its steps end by 2m33s plus --duration, so the run keeps to 3 minutes");
        return false;
    }

    /**
     * How much later than {@code nowNanos} a step could start and still end, its collector
     * stopped, before {@code deadline}; zero when it could not end in time even now.
     */
    static Duration spareBeforeStep(long nowNanos, long deadline, Duration step) {
        return Duration.ofNanos(Math.max(0, deadline - nowNanos - step.plus(STEP_MARGIN).toNanos()));
    }

    /**
     * Runs the collector at {@link #WARM_UP_RATE} for {@code d}, then waits for the consumers to
     * take in what it left; reports how busy the JIT compiler was ({@link #jitShare}).
     */
    static void warmUp(Pipeline pipeline, E2eBench.Options o, Duration d) throws Exception {
        BenchOutput.progress(String.format("warm-up: %,.0f metrics/s for %d s, not judged", WARM_UP_RATE,
                d.toSeconds()));
        long jit0 = jitMillis();
        long t0 = System.nanoTime();
        try (CollectorApp c = CollectorApp.start(pipeline.collector(WARM_UP_RATE, o.series(), o.compression()),
                new CollectorRegistry())) {
            Thread.sleep(d.toMillis());
        }
        pipeline.drain(MAX_DRAIN);
        BenchOutput.progress(String.format("warm-up done; the JIT compiler was busy %.0f %% of the time",
                100 * jitShare(jit0, t0)));
    }

    /**
     * The JIT compiler threads' compile time since {@code jitMillis0} over the wall time since
     * {@code nanos0} (summed over the compiler threads, so it can pass 1).
     */
    static double jitShare(long jitMillis0, long nanos0) {
        return (jitMillis() - jitMillis0) / ((System.nanoTime() - nanos0) / 1e6);
    }

    /** Time the JIT compiler threads spent compiling so far, in ms (0 when the JVM does not say). */
    static long jitMillis() {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    /**
     * One step: the collector at {@code rate} for {@code d}; the first third is ramp, the rest is
     * measured. Kept up means the collector made the rate, and both consumers (the sink into
     * PostgreSQL, the exporter into its store) took in what came, with at most one second of it
     * waiting at the end.
     */
    static E2eBench.Step step(Pipeline pipeline, double rate, E2eBench.Options o, Duration d) throws Exception {
        CollectorRegistry cr = new CollectorRegistry();
        long jit0 = jitMillis();
        long start = System.nanoTime();
        double storedBefore = pipeline.stored();
        double outOfOrderBefore = pipeline.outOfOrder();
        double exportedBefore = pipeline.exported();
        try (CollectorApp c = CollectorApp.start(pipeline.collector(rate, o.series(), o.compression()), cr)) {
            Thread.sleep(d.dividedBy(3).toMillis()); // ramp
            double p0 = Pipeline.produced(cr);
            double s0 = pipeline.stored();
            double e0 = pipeline.exported();
            ThreadCpu.Reading threads0 = ThreadCpu.read();
            CpuMeter.Reading cpu0 = CpuMeter.read();
            long t0 = System.nanoTime();
            Thread.sleep(d.minus(d.dividedBy(3)).toMillis());
            double secs = (System.nanoTime() - t0) / 1e9;
            CpuMeter.Usage cpu = CpuMeter.between(cpu0, CpuMeter.read());
            Map<String, Double> threadSecs = ThreadCpu.between(threads0, ThreadCpu.read());
            // the consumers first: what they took in was produced before (the backlog errs high, not low)
            double s1 = pipeline.stored();
            double e1 = pipeline.exported();
            double p1 = Pipeline.produced(cr);
            double produced = (p1 - p0) / secs;
            double stored = (s1 - s0) / secs;
            double exported = (e1 - e0) / secs;
            long backlog = (long) (p1 - (s1 - storedBefore));
            long exporterBacklog = (long) (p1 - (e1 - exportedBefore));
            boolean ok = produced >= 0.95 * rate
                    && stored >= 0.97 * produced && backlog <= rate
                    && exported >= 0.97 * produced && exporterBacklog <= rate;
            double jit = jitShare(jit0, start);
            double outOfOrder = (pipeline.outOfOrder() - outOfOrderBefore) / Math.max(1, s1 - storedBefore);
            double metrics = p1 - p0;
            return new E2eBench.Step(rate, produced, stored, backlog, exported, exporterBacklog, ok, jit, outOfOrder,
                    cpu.busy(), cpu.microsEach(metrics), cpu.jvmMicrosEach(metrics), CpuByPart.of(cpu, threadSecs, metrics));
        }
    }
}
