package io.mpipe.sink.series;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.common.metric.SeriesKey;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns series keys into ids: from the {@link SeriesCache}, else from the {@code series} table,
 * inserting new series in bulk. Runs in its own committed transaction before the samples' one,
 * so a cached id always names a committed row.
 */
public final class SeriesResolver {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SeriesCache cache;

    public SeriesResolver(SeriesCache cache) {
        this.cache = cache;
    }

    public SeriesCache cache() {
        return cache;
    }

    /**
     * Resolves every key; a new series' name and labels are parsed from its key (canonical keys
     * of valid metrics, so that gives them back exactly). Commits on {@code c} (which must not be in auto-commit mode) when
     * it had to ask the database.
     *
     * @return the id of each key, aligned with {@code keys}
     */
    public long[] resolve(Connection c, List<String> keys) throws SQLException {
        long[] ids = new long[keys.size()];
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            String key = keys.get(i);
            ids[i] = cache.get(key);
            if (ids[i] < 0) {
                missing.add(key);
            }
        }
        if (missing.isEmpty()) {
            return ids;
        }
        Map<String, Long> found = select(c, missing);
        List<String> toInsert = new ArrayList<>();
        for (String key : missing) {
            if (!found.containsKey(key)) {
                toInsert.add(key);
            }
        }
        if (!toInsert.isEmpty()) {
            found.putAll(insert(c, toInsert));
            if (found.size() < missing.size()) {
                // inserted concurrently by another sink instance: now committed, so visible
                List<String> still = new ArrayList<>();
                for (String key : toInsert) {
                    if (!found.containsKey(key)) {
                        still.add(key);
                    }
                }
                found.putAll(select(c, still));
            }
        }
        c.commit();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0) {
                Long id = found.get(keys.get(i));
                if (id == null) {
                    throw new SQLException("series " + keys.get(i) + " could not be inserted or found");
                }
                ids[i] = id;
                cache.put(keys.get(i), id);
            }
        }
        return ids;
    }

    private static Map<String, Long> select(Connection c, List<String> keys) throws SQLException {
        Map<String, Long> out = new HashMap<>(keys.size() * 2);
        try (PreparedStatement ps = c.prepareStatement("SELECT key, id FROM series WHERE key = ANY (?)")) {
            Array arr = c.createArrayOf("text", keys.toArray());
            ps.setArray(1, arr);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
            arr.free();
        }
        return out;
    }

    private static Map<String, Long> insert(Connection c, List<String> keys) throws SQLException {
        String[] names = new String[keys.size()];
        String[] labels = new String[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            SeriesKey.Parsed m = SeriesKey.parse(keys.get(i));
            names[i] = m.name();
            try {
                labels[i] = JSON.writeValueAsString(m.labels());
            } catch (JsonProcessingException e) {
                throw new SQLException("encoding labels of " + keys.get(i), e);
            }
        }
        Map<String, Long> out = new HashMap<>(keys.size() * 2);
        // sorted by key so that two instances inserting overlapping sets take row locks in one order
        String sql = "INSERT INTO series (key, name, labels) "
                + "SELECT k, n, l::jsonb FROM unnest(?::text[], ?::text[], ?::text[]) AS t(k, n, l) ORDER BY k "
                + "ON CONFLICT (key) DO NOTHING RETURNING key, id";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", keys.toArray()));
            ps.setArray(2, c.createArrayOf("text", names));
            ps.setArray(3, c.createArrayOf("text", labels));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return out;
    }
}
