package io.mpipe.sink.schema;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.SocketFactory;
import jdk.net.ExtendedSocketOptions;

/**
 * The sockets the sink's PostgreSQL driver connects with: TCP keepalives after 10 s of silence, every
 * 5 s, 3 unanswered and the connection is dead. A sink whose server went away while it waited for
 * an answer (its host cut off, the server's session then dropped) learns it within about 25 s,
 * where the system's defaults take two hours and the driver's socket timeout five minutes; the
 * write is then tried again on a new connection.
 */
public final class KeepAliveSocketFactory extends SocketFactory {
    static final int IDLE_SECONDS = 10;
    static final int INTERVAL_SECONDS = 5;
    static final int COUNT = 3;

    @Override
    public Socket createSocket() throws IOException {
        Socket s = new Socket();
        s.setKeepAlive(true);
        if (s.supportedOptions().contains(ExtendedSocketOptions.TCP_KEEPIDLE)) {
            s.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, IDLE_SECONDS);
            s.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, INTERVAL_SECONDS);
            s.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, COUNT);
        }
        return s;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        throw new UnsupportedOperationException("the driver connects an unconnected socket");
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        throw new UnsupportedOperationException("the driver connects an unconnected socket");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        throw new UnsupportedOperationException("the driver connects an unconnected socket");
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        throw new UnsupportedOperationException("the driver connects an unconnected socket");
    }
}
