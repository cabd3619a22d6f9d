package io.mpipe.cli;

/** Runs a started service until SIGTERM or Ctrl-C, then closes it. */
final class ServiceRunner {

    private ServiceRunner() {
    }

    /** Blocks until the JVM is asked to stop; {@code service} is closed by the shutdown hook. */
    static int runUntilStopped(AutoCloseable service, String name) throws InterruptedException {
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                service.close();
            } catch (Exception e) {
                System.err.println(name + ": error while stopping: " + e);
            } finally {
                stopped.countDown();
            }
        }, name + "-shutdown"));
        stopped.await();
        return Pipeline.OK;
    }
}
