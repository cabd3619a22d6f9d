package io.mpipe.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the machine's CPU went between two readings: the whole machine's, from the kernel's
 * {@code /proc/stat} (Linux; everything on the host, PostgreSQL included), and this JVM's, from
 * its process CPU time. Where either is not available, its figures are NaN.
 */
public final class CpuMeter {
    private static final Path PROC_STAT = Path.of("/proc/stat");

    /**
     * One reading.
     *
     * @param stat      the {@code cpu} line's counters (user, nice, system, idle, iowait, irq,
     *                  softirq, steal), or null where there is none
     * @param cores     the machine's cores, as many as {@code /proc/stat} has {@code cpuN} lines
     * @param jvmNanos  this JVM's CPU time so far, or -1
     * @param wallNanos {@link System#nanoTime()} when read
     */
    public record Reading(long[] stat, int cores, long jvmNanos, long wallNanos) {
    }

    /**
     * The CPU used between two readings.
     *
     * @param busy      share of the machine's time it was not idle (0 to 1; steal counts as busy:
     *                  the time was not the machine's to give)
     * @param steal     share the hypervisor gave to others
     * @param cpuSecs   CPU seconds the machine spent working (user, system, interrupts; not steal)
     * @param jvmSecs   CPU seconds of them this JVM spent
     */
    public record Usage(double busy, double steal, double cpuSecs, double jvmSecs) {
        /** Machine CPU in µs for each of {@code count} things done, NaN when not known. */
        public double microsEach(double count) {
            return count > 0 ? cpuSecs * 1e6 / count : Double.NaN;
        }

        /** This JVM's CPU in µs for each of {@code count} things done. */
        public double jvmMicrosEach(double count) {
            return count > 0 ? jvmSecs * 1e6 / count : Double.NaN;
        }
    }

    private CpuMeter() {
    }

    public static Reading read() {
        long[] stat = null;
        int cores = 0;
        try {
            List<String> lines = Files.readAllLines(PROC_STAT);
            stat = parseCpuLine(lines.isEmpty() ? "" : lines.get(0));
            cores = cores(lines);
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the machine's figures are NaN
        }
        return new Reading(stat, cores, jvmCpuNanos(), System.nanoTime());
    }

    /** The eight counters of {@code /proc/stat}'s aggregate {@code cpu} line, or null. */
    static long[] parseCpuLine(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 9 || !f[0].equals("cpu")) {
            return null;
        }
        long[] v = new long[8];
        for (int i = 0; i < 8; i++) {
            v[i] = Long.parseLong(f[i + 1]);
        }
        return v;
    }

    /** The {@code cpuN} lines: the machine's cores (a container's CPU limit is not counted here). */
    static int cores(List<String> lines) {
        int n = 0;
        for (String l : lines) {
            if (l.length() > 3 && l.startsWith("cpu") && Character.isDigit(l.charAt(3))) {
                n++;
            }
        }
        return n;
    }

    private static long jvmCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** What was used from {@code a} to {@code b}. */
    public static Usage between(Reading a, Reading b) {
        int cores = b.cores();
        double wall = (b.wallNanos() - a.wallNanos()) / 1e9;
        double jvm = a.jvmNanos() >= 0 && b.jvmNanos() >= 0 ? (b.jvmNanos() - a.jvmNanos()) / 1e9 : Double.NaN;
        if (a.stat() == null || b.stat() == null || cores <= 0 || wall <= 0) {
            return new Usage(Double.NaN, Double.NaN, Double.NaN, jvm);
        }
        long[] d = new long[8];
        long total = 0;
        for (int i = 0; i < 8; i++) {
            d[i] = b.stat()[i] - a.stat()[i];
            total += d[i];
        }
        if (total <= 0) {
            return new Usage(Double.NaN, Double.NaN, Double.NaN, jvm);
        }
        long idle = d[3] + d[4];
        long steal = d[7];
        long working = total - idle - steal;
        // the counters tick in the kernel's clock units; the shares of their total scale by the
        // machine's core-seconds in the wall time, so the unit does not matter
        double coreSecs = wall * cores;
        return new Usage((double) (total - idle) / total, (double) steal / total, coreSecs * working / total, jvm);
    }
}
