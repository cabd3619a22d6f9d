package io.mpipe.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Picks free loopback ports for servers that must know their port before they bind. */
public final class FreePorts {

    private FreePorts() {
    }

    /**
     * A port {@code p} such that {@code p} and {@code p + 1} are both free, for a server that takes
     * two neighbouring ports (the local mode's broker and its controller). Taken below the usual
     * ephemeral range (32768 and up), where outgoing connections do not land on it meanwhile.
     */
    public static int pair() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int p = random.nextInt(20_000, 32_000);
            if (free(p) && free(p + 1)) {
                return p;
            }
        }
        throw new IllegalStateException("no two neighbouring free ports on 127.0.0.1 in 20000-32000");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public static int next() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }
}
