package io.mpipe.bench.e2e;

import io.mpipe.bench.CpuMeter;
import io.mpipe.bench.ThreadCpu;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Where a step's CPU went: the machine's CPU per metric, split by the pipeline's parts. */
final class CpuByPart {
    /** The JSON names of the parts of a step's CPU, and what the table calls them. */
    static final Map<String, String> PARTS = labels();

    private CpuByPart() {
    }

    private static Map<String, String> labels() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String part : ThreadCpu.PARTS) {
            m.put(part, part);
        }
        m.put("jvm_other", "GC, JIT and VM");
        m.put("outside_jvm", "outside this JVM (PostgreSQL, the kernel, the rest of the host)");
        return m;
    }

    /**
     * The machine's CPU per metric by part: each part's threads in this JVM, what the JVM spent
     * outside them, and what the machine spent outside the JVM; empty when the machine or the JVM
     * does not say. Every part is per metric produced in the step: at a step the consumers kept up
     * with that is what they took in; at one they fell behind in, they took in fewer, and their
     * parts read low.
     */
    static Map<String, Double> of(CpuMeter.Usage machine, Map<String, Double> threadSecs, double metrics) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (Double.isNaN(machine.cpuSecs()) || Double.isNaN(machine.jvmSecs()) || metrics <= 0) {
            return out;
        }
        double threads = 0;
        for (Map.Entry<String, Double> e : threadSecs.entrySet()) {
            out.put(e.getKey(), e.getValue() * 1e6 / metrics);
            threads += e.getValue();
        }
        out.put("jvm_other", Math.max(0, machine.jvmSecs() - threads) * 1e6 / metrics);
        out.put("outside_jvm", Math.max(0, machine.cpuSecs() - machine.jvmSecs()) * 1e6 / metrics);
        return out;
    }

    /** "collector 1.2 us, sink 1.0 us, ...": where a step's CPU per metric went. */
    static String describe(E2eBench.Step step) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> p : PARTS.entrySet()) {
            Double v = step.cpuByPart().get(p.getKey());
            if (v != null) {
                sb.append(sb.length() == 0 ? "" : ", ").append(p.getValue())
                        .append(String.format(Locale.ROOT, " %.1f us", v));
            }
        }
        return sb.toString();
    }

    /** How busy the machine was in a step, and its CPU per metric; "machine CPU not measured" where not known. */
    static String busy(E2eBench.Step step) {
        if (Double.isNaN(step.machineBusy())) {
            return "machine CPU not measured";
        }
        return String.format(Locale.ROOT, "machine %.0f %% busy, CPU %.1f us a metric (%.1f in this JVM)",
                100 * step.machineBusy(), step.cpuMicros(), step.jvmCpuMicros());
    }
}
