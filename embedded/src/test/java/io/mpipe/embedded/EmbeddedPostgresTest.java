package io.mpipe.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmbeddedPostgresTest {

    @Test
    void shouldCommitDurablyAsAPostgresServerLeftAtItsDefaultsDoes() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.startTemporary();
                Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), EmbeddedPostgres.SUPERUSER, "");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT name, setting FROM pg_settings WHERE name IN"
                        + " ('fsync', 'synchronous_commit', 'full_page_writes') ORDER BY name")) {
            Map<String, String> settings = new LinkedHashMap<>();
            while (rs.next()) {
                settings.put(rs.getString(1), rs.getString(2));
            }
            // what the sink's exactly-once and the bench's commit latency assume of a commit
            assertThat(settings).containsExactly(Map.entry("fsync", "on"), Map.entry("full_page_writes", "on"),
                    Map.entry("synchronous_commit", "on"));
        }
    }
}
