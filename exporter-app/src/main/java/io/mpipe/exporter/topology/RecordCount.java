package io.mpipe.exporter.topology;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A count of records that stream threads add to once a record without a shared atomic write:
 * each processor counts in a {@link Cell} of its own (a plain increment, published with release
 * semantics, which costs no more than an ordinary store), and a read sums the cells. Exact at
 * every read, as a counter updated once a record would be, at a small part of the cost
 * (a shared counter was about 4 % of the stream thread in a profile at 170,000 records a second).
 */
public final class RecordCount {
    private static final VarHandle COUNT;

    static {
        try {
            COUNT = MethodHandles.lookup().findVarHandle(Cell.class, "count", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Set<Cell> cells = ConcurrentHashMap.newKeySet();
    /** The counts of closed cells. */
    private long retired;

    /** A new cell, for one processor: one thread adds to it at a time. */
    public Cell cell() {
        Cell c = new Cell();
        cells.add(c);
        return c;
    }

    /** The total so far. */
    public synchronized long get() {
        long n = retired;
        for (Cell c : cells) {
            n += (long) COUNT.getAcquire(c);
        }
        return n;
    }

    private synchronized void retire(Cell c) {
        if (cells.remove(c)) {
            retired += (long) COUNT.getAcquire(c);
        }
    }

    /** One processor's part of the count. */
    public final class Cell {
        @SuppressWarnings("unused") // through COUNT
        private long count;

        /** Adds one; only the thread that owns the cell calls it. */
        public void increment() {
            COUNT.setRelease(this, count + 1);
        }

        /** Moves this cell's count into the total; the cell is not used after. */
        public void close() {
            retire(this);
        }
    }
}
