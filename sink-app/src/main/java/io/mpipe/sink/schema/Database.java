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
        // within about 25 s, instead of the system's two hours, so the locks it held go to the sink
        // that took over
        c.addDataSourceProperty("options", "-c TimeZone=UTC -c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5"
                + " -c tcp_keepalives_count=3");
        c.addDataSourceProperty("ApplicationName", poolName);
        c.addDataSourceProperty("tcpKeepAlive", "true");
        c.addDataSourceProperty("connectTimeout", Long.toString(Math.max(1, pg.connectTimeout().toSeconds())));
        c.addDataSourceProperty("socketTimeout", "300");
        return new HikariDataSource(c);
    }
}
