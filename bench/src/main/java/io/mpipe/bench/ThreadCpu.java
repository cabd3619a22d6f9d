package io.mpipe.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CPU time of this JVM's threads, read twice and summed by the part of the pipeline each
 * thread belongs to (told by its name), so that a bench can say where the CPU of one metric went.
 * What the JVM spends outside its Java threads (garbage collection, the JIT compiler, the VM
 * itself) is the process's CPU time less the threads'; what the machine spends outside the JVM
 * (PostgreSQL, mostly) comes from {@link CpuMeter}.
 */
public final class ThreadCpu {
    /** The parts, in the order they are reported; each thread goes to the first whose name test it passes. */
    public static final List<String> PARTS = List.of("collector", "sink", "exporter", "broker");

    /** One reading: each live thread's name and CPU time so far. */
    public record Reading(Map<Long, String> names, Map<Long, Long> cpuNanos) {
    }

    private ThreadCpu() {
    }

    /** The part a thread belongs to, by its name. */
    static String partOf(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        if (n.contains("collector")) {
            return "collector";
        }
        if (n.contains("sink")) {
            return "sink";
        }
        if (n.contains("exporter") || n.contains("streamthread")) {
            return "exporter";
        }
        // the in-process broker and controller, and the bench's own threads, which sleep meanwhile
        return "broker";
    }

    /** Every live thread's CPU time; empty where the JVM does not measure it. */
    public static Reading read() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, String> names = new HashMap<>();
        Map<Long, Long> cpu = new HashMap<>();
        if (!mx.isThreadCpuTimeSupported() || !mx.isThreadCpuTimeEnabled()) {
            return new Reading(names, cpu);
        }
        long[] ids = mx.getAllThreadIds();
        ThreadInfo[] infos = mx.getThreadInfo(ids, 0);
        for (int i = 0; i < ids.length; i++) {
            long t = mx.getThreadCpuTime(ids[i]);
            if (infos[i] != null && t >= 0) {
                names.put(ids[i], infos[i].getThreadName());
                cpu.put(ids[i], t);
            }
        }
        return new Reading(names, cpu);
    }

    /**
     * CPU seconds each part's threads spent from {@code a} to {@code b}. A thread started in
     * between counts from zero; one that ended in between is not counted (its time then shows in
     * the JVM's remainder).
     */
    public static Map<String, Double> between(Reading a, Reading b) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String p : PARTS) {
            out.put(p, 0.0);
        }
        for (Map.Entry<Long, Long> e : b.cpuNanos().entrySet()) {
            long before = a.cpuNanos().getOrDefault(e.getKey(), 0L);
            double secs = Math.max(0, e.getValue() - before) / 1e9;
            out.merge(partOf(b.names().get(e.getKey())), secs, Double::sum);
        }
        return out;
    }
}
