package io.mpipe.cli;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as an orderly stop with exit code 0. The JVM's default exits with 143 (or
 * 130) even when shutdown hooks ran; a service that stopped cleanly should say so.
 */
final class Signals {

    private Signals() {
    }

    /** On SIGTERM or SIGINT: run {@code stop} on a thread of its own, then exit 0. */
    static void onStop(Runnable stop) {
        Runnable handler = () -> {
            Thread t = new Thread(() -> {
                try {
                    stop.run();
                } finally {
                    System.exit(Pipeline.OK);
                }
            }, "stop-signal");
            t.start();
        };
        Signal.handle(new Signal("TERM"), s -> handler.run());
        Signal.handle(new Signal("INT"), s -> handler.run());
    }
}
