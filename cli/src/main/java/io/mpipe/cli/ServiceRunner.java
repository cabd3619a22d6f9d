package io.mpipe.cli;

/** Runs a started service until SIGTERM or Ctrl-C, then closes it. */
final class ServiceRunner {

    private ServiceRunner() {
    }

    /**
     * Blocks until SIGTERM or Ctrl-C; then closes {@code service} and exits 0. A shutdown hook
     * closes it too if the JVM is stopped another way.
     */
    static int runUntilStopped(AutoCloseable service, String name) throws InterruptedException {
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable close = () -> {
            if (closed.compareAndSet(false, true)) {
                try {
                    service.close();
                } catch (Exception e) {
                    System.err.println(name + ": error while stopping: " + e);
                } finally {
                    stopped.countDown();
                }
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(close, name + "-shutdown"));
        Signals.onStop(close);
        stopped.await();
        return Pipeline.OK;
    }
}
