package io.mpipe.cli;

import com.zaxxer.hikari.HikariDataSource;
import io.mpipe.common.config.LoggingSettings;
import io.mpipe.common.config.PostgresSettings;
import io.mpipe.sink.schema.Database;
import io.mpipe.sink.schema.Migrations;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Run the database migrations (Flyway, migrations/) and exit. The sink also runs them at start"
                + " unless sink.migrate-on-start is false.")
final class MigrateCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--location", paramLabel = "LOCATION",
            description = "Where the migrations are (default: the ones built in; e.g. filesystem:migrations).")
    String location = Migrations.DEFAULT_LOCATION;

    @Override
    public Integer call() {
        PostgresSettings pg = config.load("migrate", PostgresSettings::read, p -> LoggingSettings.DEFAULT,
                "postgres");
        // two: Flyway holds its lock on one connection while it migrates on another
        try (HikariDataSource ds = Database.pool(pg.withPoolSize(2), "migrate")) {
            int applied = Migrations.migrate(ds, location);
            System.out.println(applied == 0 ? "schema is up to date" : applied + " migration(s) applied");
        }
        return Pipeline.OK;
    }
}
