package io.mpipe.sink.schema;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.mpipe.common.config.PostgresSettings;

/** Builds the HikariCP pool for the sink from {@link PostgresSettings}. */
public final class Database {

    private Database() {
    }

    /**
     * A pool whose sessions run in UTC (partition bounds and timestamps are computed in UTC).
     * Creating it does not connect: a database that is down at start-up is retried like one
     * that goes away later.
     */
    public static HikariDataSource pool(PostgresSettings pg, String poolName) {
        HikariConfig c = new HikariConfig();
        c.setPoolName(poolName);
        c.setJdbcUrl(pg.url());
        c.setUsername(pg.user());
        if (!pg.password().isEmpty()) {
            c.setPassword(pg.password().reveal());
        }
        c.setMaximumPoolSize(pg.poolSize());
        c.setMinimumIdle(1);
        c.setConnectionTimeout(pg.connectTimeout().toMillis());
        c.setInitializationFailTimeout(-1);
        c.setAutoCommit(true);
        pg.sslProperties().forEach(c::addDataSourceProperty);
        // the server gives up on a connection whose client went silent (a host cut off mid-transaction)
        // within about 25-30 s, instead of the system's two hours (keepalives) or fifteen minutes (data
        // it sent unacknowledged), and a query waiting on a lock notices within 5 s, so the locks it
        // held go to the sink that took over (these settings need PostgreSQL 14 or later)
        c.addDataSourceProperty("options", "-c TimeZone=UTC -c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5"
                + " -c tcp_keepalives_count=3 -c tcp_user_timeout=30000 -c client_connection_check_interval=5000");
        c.addDataSourceProperty("ApplicationName", poolName);
        // the driver sets SO_KEEPALIVE from tcpKeepAlive on each socket it connects; the factory's
        // sockets probe after 10 s of silence instead of the system's two hours
        c.addDataSourceProperty("tcpKeepAlive", "true");
        c.addDataSourceProperty("socketFactory", KeepAliveSocketFactory.class.getName());
        c.addDataSourceProperty("connectTimeout", Long.toString(Math.max(1, pg.connectTimeout().toSeconds())));
        c.addDataSourceProperty("socketTimeout", "300");
        return new HikariDataSource(c);
    }
}
