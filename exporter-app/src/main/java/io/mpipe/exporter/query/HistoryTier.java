package io.mpipe.exporter.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.mpipe.common.config.PostgresSettings;
import io.mpipe.common.http.HttpError;
import io.mpipe.common.metric.Labels;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The history tier: what the sink stored in PostgreSQL, for data outside the window and series
 * the store evicted. A read-only pool; every statement uses bind parameters only.
 */
public final class HistoryTier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HistoryTier.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Most series one query looks up in PostgreSQL. */
    public static final int MAX_SERIES = 10_000;

    private final DataSource dataSource;
    private final AutoCloseable closer;

    public HistoryTier(DataSource dataSource) {
        this.dataSource = dataSource;
        this.closer = () -> { };
    }

    private HistoryTier(HikariDataSource pool) {
        this.dataSource = pool;
        this.closer = pool;
    }

    /** A read-only pool on {@code pg}. */
    public static HistoryTier connect(PostgresSettings pg) {
        HikariConfig c = new HikariConfig();
        c.setPoolName("exporter-history");
        c.setJdbcUrl(pg.url());
        c.setUsername(pg.user());
        if (!pg.password().isEmpty()) {
            c.setPassword(pg.password().reveal());
        }
        c.setReadOnly(true);
        c.setMaximumPoolSize(Math.min(pg.poolSize(), 8));
        c.setMinimumIdle(0);
        c.setConnectionTimeout(pg.connectTimeout().toMillis());
        c.setInitializationFailTimeout(-1);
        pg.sslProperties().forEach(c::addDataSourceProperty);
        c.addDataSourceProperty("options", "-c TimeZone=UTC -c statement_timeout=10000");
        c.addDataSourceProperty("ApplicationName", "exporter-history");
        return new HistoryTier(new HikariDataSource(c));
    }

    /** Keys of the stored series matching the query's name and labels (at most {@link #MAX_SERIES}). */
    public List<String> seriesKeys(MetricsQuery q) {
        return seriesKeys(q, MAX_SERIES);
    }

    /** Keys of the stored series matching the query's name and labels, at most {@code max}. */
    public List<String> seriesKeys(MetricsQuery q, int max) {
        String sql = "SELECT key FROM series WHERE (?::text IS NULL OR name = ?) AND labels @> ?::jsonb LIMIT ?";
        List<String> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            String name = q.name().orElse(null);
            ps.setString(1, name);
            ps.setString(2, name);
            ps.setString(3, JSON.writeValueAsString(q.labels()));
            ps.setInt(4, max);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        } catch (SQLException | JsonProcessingException e) {
            throw unavailable(e);
        }
        return out;
    }

    /** Samples of {@code keys} in [from, to], newest first, at most {@code limit}. */
    public List<MetricView> samples(Collection<String> keys, long from, long to, int limit) {
        if (keys.isEmpty()) {
            return List.of();
        }
        String sql = "SELECT s.name, s.labels::text, p.ts, p.value FROM series s JOIN samples p ON p.series_id = s.id "
                + "WHERE s.key = ANY (?) AND p.ts >= ? AND p.ts <= ? ORDER BY p.ts DESC LIMIT ?";
        List<MetricView> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", keys.toArray()));
            ps.setObject(2, OffsetDateTime.ofInstant(Instant.ofEpochMilli(from), ZoneOffset.UTC));
            ps.setObject(3, OffsetDateTime.ofInstant(Instant.ofEpochMilli(to), ZoneOffset.UTC));
            ps.setInt(4, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, String> labels = JSON.readValue(rs.getString(2), new TypeReference<>() { });
                    out.add(MetricView.of(rs.getString(1), Labels.of(labels),
                            rs.getObject(3, OffsetDateTime.class).toInstant().toEpochMilli(), rs.getDouble(4)));
                }
            }
        } catch (SQLException | JsonProcessingException e) {
            throw unavailable(e);
        }
        return out;
    }

    private static HttpError unavailable(Exception e) {
        log.warn("history tier: {}", e.toString());
        return HttpError.unavailable("the history tier (PostgreSQL) is unavailable: " + e.getClass().getSimpleName(), 5);
    }

    @Override
    public void close() throws Exception {
        closer.close();
    }
}
