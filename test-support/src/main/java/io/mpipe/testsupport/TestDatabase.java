package io.mpipe.testsupport;

import io.mpipe.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fresh database of its own on the shared PostgreSQL server, for one test. Connect as the
 * superuser, no password (the server only listens on 127.0.0.1).
 */
public final class TestDatabase {
    private static final AtomicInteger SEQ = new AtomicInteger();

    private final EmbeddedPostgres server;
    private final String name;

    TestDatabase(EmbeddedPostgres server) {
        this.server = server;
        this.name = "t" + SEQ.incrementAndGet() + "_" + Long.toString(System.nanoTime() & 0xffffffL, 36);
        server.createDatabase(name);
    }

    public String name() {
        return name;
    }

    public String jdbcUrl() {
        return server.jdbcUrl(name);
    }

    public String user() {
        return EmbeddedPostgres.SUPERUSER;
    }

    public String password() {
        return "";
    }

    public EmbeddedPostgres server() {
        return server;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), user(), password());
    }

    /** Runs a query expected to return one number (a count, a sum). */
    public long queryLong(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("no row from: " + sql);
            }
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** Runs statements. */
    public void execute(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
