package io.mpipe.sink.schema;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the Flyway migrations in {@code migrations/} (packaged as {@code classpath:db/migration}).
 * Migrating an up-to-date database does nothing.
 */
public final class Migrations {
    private static final Logger log = LoggerFactory.getLogger(Migrations.class);
    public static final String DEFAULT_LOCATION = "classpath:db/migration";

    private Migrations() {
    }

    /** Migrates to the latest version; returns how many migrations ran. */
    public static int migrate(DataSource dataSource, String location) {
        Flyway flyway = Flyway.configure()
                .dataSource(dataSource)
                .locations(location)
                .failOnMissingLocations(true)
                .load();
        MigrateResult result = flyway.migrate();
        log.info("schema at version {} ({} migration(s) applied)", result.targetSchemaVersion == null
                ? flyway.info().current().getVersion() : result.targetSchemaVersion, result.migrationsExecuted);
        return result.migrationsExecuted;
    }

    public static int migrate(DataSource dataSource) {
        return migrate(dataSource, DEFAULT_LOCATION);
    }
}
