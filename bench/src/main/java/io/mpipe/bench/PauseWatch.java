package io.mpipe.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * What held this JVM up while it was watched, so that a latency outlier can be told apart: the
 * longest garbage-collection pause, and the longest stall of a thread that only sleeps a
 * millisecond at a time (how much later than asked it woke: a pause, a safepoint, the machine's
 * cores all busy, or the host not running this machine at all).
 */
public final class PauseWatch implements AutoCloseable {
    /** How long the watching thread sleeps each time. */
    static final long TICK_NANOS = 1_000_000;

    private final AtomicLong longestGcMs = new AtomicLong();
    private final AtomicLong gcPauses = new AtomicLong();
    private final AtomicLong longestStallNanos = new AtomicLong();
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final NotificationListener listener = this::onGc;
    private final Thread ticker;
    private volatile boolean stop;

    private PauseWatch() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(listener, null, null);
                emitters.add(e);
            }
        }
        ticker = new Thread(this::tick, "bench-pause-watch");
        ticker.setDaemon(true);
    }

    /** Starts watching. */
    public static PauseWatch start() {
        PauseWatch w = new PauseWatch();
        w.ticker.start();
        return w;
    }

    private void onGc(Notification n, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        if (isPause(info.getGcName())) {
            gcPauses.incrementAndGet();
            longestGcMs.accumulateAndGet(info.getGcInfo().getDuration(), Math::max);
        }
    }

    /**
     * Whether a collector bean reports pauses. ZGC and Shenandoah report their concurrent cycles
     * on beans named "... Cycles" (their pauses on "... Pauses"); every other bean's collections
     * stop the application, G1's "G1 Concurrent GC" included (from JDK 20 it reports the remark
     * and cleanup pauses of the concurrent cycle).
     */
    static boolean isPause(String gcName) {
        return !gcName.contains("Cycles");
    }

    private void tick() {
        while (!stop) {
            long t0 = System.nanoTime();
            java.util.concurrent.locks.LockSupport.parkNanos(TICK_NANOS);
            long late = System.nanoTime() - t0 - TICK_NANOS;
            longestStallNanos.accumulateAndGet(late, Math::max);
        }
    }

    /** The longest collection pause so far, in ms. */
    public long longestGcPauseMs() {
        return longestGcMs.get();
    }

    /** Collection pauses so far. */
    public long gcPauses() {
        return gcPauses.get();
    }

    /** The longest the watching thread woke later than it asked, in ms. */
    public double longestStallMs() {
        return longestStallNanos.get() / 1e6;
    }

    @Override
    public void close() {
        stop = true;
        for (NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(listener);
            } catch (javax.management.ListenerNotFoundException ignored) {
                // not registered: nothing to undo
            }
        }
        try {
            ticker.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
