package io.mpipe.sink;

import io.mpipe.sink.batch.Batch;
import io.mpipe.sink.copy.WriteResult;
import io.mpipe.sink.write.WritePath;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The hand-off between the loop and the thread that writes: at most one batch in flight, written
 * by {@link WritePath} (which retries and dead-letters) while the loop keeps polling. Used by the
 * loop thread only; the write itself runs on the {@code sink-writer} thread.
 */
final class WriterThread {
    /** A finished write: the batch and either what it committed or why it was not written. */
    record Outcome(Batch batch, WriteResult result, Throwable failure) {
    }

    private final WritePath writer;
    private final ExecutorService thread;
    private Future<WriteResult> inFlight;
    private Batch inFlightBatch;
    /** Set when the loop gives up on a write (shutdown): the writer stops retrying it. */
    private volatile boolean abandoned;

    WriterThread(WritePath writer) {
        this.writer = writer;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sink-writer");
            t.setDaemon(true);
            return t;
        });
    }

    /** A batch is being written. */
    boolean busy() {
        return inFlight != null;
    }

    void submit(Batch batch) {
        inFlightBatch = batch;
        inFlight = thread.submit(() -> writer.write(batch, () -> abandoned));
    }

    /** Waits up to {@code max} for the write in flight, without collecting it. */
    void waitQuietly(Duration max) {
        try {
            inFlight.get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // still busy (retrying), or failed: take() reports it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True when nothing is in flight, or the write in flight finished within {@code max}. */
    boolean await(Duration max) {
        if (inFlight == null) {
            return true;
        }
        try {
            inFlight.get(max.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The finished write, taken (nothing is in flight afterwards); null when none has finished and
     * {@code block} is false, or when interrupted.
     */
    Outcome take(boolean block) {
        if (inFlight == null || (!block && !inFlight.isDone())) {
            return null;
        }
        Batch batch = inFlightBatch;
        try {
            return new Outcome(batch, inFlight.get(), null);
        } catch (ExecutionException e) {
            return new Outcome(batch, null, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            inFlight = null;
            inFlightBatch = null;
        }
    }

    /** Gives up on the write in flight: nothing of it is committed. */
    void abandon() {
        abandoned = true;
        if (inFlight != null) {
            inFlight.cancel(true);
            inFlight = null;
            inFlightBatch = null;
        }
    }

    void shutdown() {
        thread.shutdownNow();
    }
}
