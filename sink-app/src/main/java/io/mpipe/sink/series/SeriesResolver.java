package io.mpipe.sink.series;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mpipe.common.metric.SeriesKey;
import io.mpipe.sink.write.WriteErrors;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns series keys into ids: from the {@link SeriesCache}, else from the {@code series} table,
 * inserting new series in bulk. Runs in its own committed transaction before the samples' one,
 * so a cached id always names a committed row.
 *
 * <p>It also moves each series' {@code samples_until} on to the end of the time partition of the
 * newest sample the batch writes for it, when the batch goes past what the database holds: the
 * series clean-up deletes a series only once that is before every partition that still exists. An
 * update that finds no row means the clean-up deleted the series (it had no sample left), and the
 * series is inserted again under a new id.
 */
public final class SeriesResolver {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** {@code samples_until} for a series whose samples' times are not known: never deleted. */
    public static final long FOREVER = Long.MAX_VALUE;
    /** A series' {@code samples_until} not read in this resolution: its cache entry stays as it is. */
    private static final long UNKNOWN = Long.MIN_VALUE;
    private static final String UNTIL = "CASE WHEN t.u = " + FOREVER
            + " THEN 'infinity'::timestamptz ELSE to_timestamp(t.u / 1000.0) END";
    private static final String UNTIL_MS = "CASE WHEN samples_until = 'infinity' THEN " + FOREVER
            + " ELSE (extract(epoch FROM samples_until) * 1000)::bigint END";

    private final SeriesCache cache;

    public SeriesResolver(SeriesCache cache) {
        this.cache = cache;
    }

    public SeriesCache cache() {
        return cache;
    }

    /**
     * Resolves every key, new series with {@code samples_until} 'infinity' (kept for ever).
     *
     * @see #resolve(Connection, List, long[], Map)
     */
    public long[] resolve(Connection c, List<String> keys) throws SQLException {
        return resolve(c, keys, null, null);
    }

    /**
     * Resolves every key; a new series' name and labels are parsed from its key (canonical keys
     * of valid metrics, so that gives them back exactly). Commits on {@code c} (which must not be
     * in auto-commit mode) when it had to ask the database.
     *
     * @param untilMs  per key, the end (epoch ms) of the time partition of the newest sample about
     *                 to be written for it; null when not known ({@code samples_until} is not moved,
     *                 and new series never expire)
     * @param refused  null to let any error of the insert of new series propagate; otherwise new
     *                 series whose insert PostgreSQL refuses on their own (a trigger, a constraint)
     *                 get id -1 and their reason here, by key index, and the others are inserted;
     *                 an error that is a bad moment still propagates
     * @return the id of each key, aligned with {@code keys}
     */
    public long[] resolve(Connection c, List<String> keys, long[] untilMs, Map<Integer, String> refused)
            throws SQLException {
        long[] ids = new long[keys.size()];
        SeriesCache.Entry[] entries = new SeriesCache.Entry[keys.size()];
        List<Integer> missing = new ArrayList<>();
        List<Integer> behind = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            SeriesCache.Entry e = cache.entry(keys.get(i));
            entries[i] = e;
            if (e == null) {
                ids[i] = -1;
                missing.add(i);
            } else {
                ids[i] = e.id;
                if (untilMs != null && untilMs[i] > e.untilMs) {
                    behind.add(i);
                }
            }
        }
        if (missing.isEmpty() && behind.isEmpty()) {
            return ids;
        }
        long[] until = untilMs != null ? untilMs : constant(keys.size(), FOREVER);
        long[] heldUntil = constant(keys.size(), UNKNOWN);
        if (!missing.isEmpty()) {
            Map<String, long[]> found = select(c, keysOf(keys, missing));
            List<Integer> toInsert = new ArrayList<>();
            for (int i : missing) {
                long[] f = found.get(keys.get(i));
                if (f == null) {
                    toInsert.add(i);
                } else {
                    ids[i] = f[0];
                    heldUntil[i] = f[1];
                    if (untilMs != null && untilMs[i] > f[1]) {
                        behind.add(i);
                    }
                }
            }
            insertAll(c, keys, until, toInsert, ids, heldUntil, refused);
        }
        if (!behind.isEmpty()) {
            List<Integer> gone = moveOn(c, keys, until, behind, ids, heldUntil);
            // deleted by the clean-up since they were cached or selected: a new row, a new id
            insertAll(c, keys, until, gone, ids, heldUntil, refused);
        }
        c.commit();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0) {
                if (refused != null && refused.containsKey(i)) {
                    continue;
                }
                throw new SQLException("series " + keys.get(i) + " could not be inserted or found");
            }
            if (heldUntil[i] != UNKNOWN) {
                cache.put(keys.get(i), ids[i], heldUntil[i]); // found, inserted or moved on
            }
        }
        return ids;
    }

    /**
     * Inserts the series {@code which} of {@code keys}, filling {@code ids} and {@code heldUntil};
     * a concurrent insert by another sink is found by a second look.
     */
    private void insertAll(Connection c, List<String> keys, long[] until, List<Integer> which, long[] ids,
            long[] heldUntil, Map<Integer, String> refused) throws SQLException {
        if (which.isEmpty()) {
            return;
        }
        Map<String, long[]> inserted = new HashMap<>();
        if (refused == null) {
            inserted.putAll(insert(c, keys, until, which));
        } else {
            insertIsolating(c, keys, until, which, inserted, refused);
        }
        List<Integer> still = new ArrayList<>();
        for (int i : which) {
            long[] r = inserted.get(keys.get(i));
            if (r != null) {
                ids[i] = r[0];
                heldUntil[i] = r[1];
            } else if (refused == null || !refused.containsKey(i)) {
                still.add(i);
            }
        }
        if (still.isEmpty()) {
            return;
        }
        // inserted concurrently by another sink instance: now committed, so visible
        Map<String, long[]> found = select(c, keysOf(keys, still));
        List<Integer> behind = new ArrayList<>();
        for (int i : still) {
            long[] f = found.get(keys.get(i));
            if (f != null) {
                ids[i] = f[0];
                heldUntil[i] = f[1];
                if (until[i] > f[1]) {
                    behind.add(i);
                }
            }
        }
        if (!behind.isEmpty()) {
            moveOn(c, keys, until, behind, ids, heldUntil);
        }
    }

    /**
     * Inserts {@code which}, each half on its own (under a savepoint) when PostgreSQL refuses the
     * whole, down to single series: those refused alone are recorded in {@code refused}.
     */
    private void insertIsolating(Connection c, List<String> keys, long[] until, List<Integer> which,
            Map<String, long[]> out, Map<Integer, String> refused) throws SQLException {
        Savepoint sp = c.setSavepoint();
        try {
            out.putAll(insert(c, keys, until, which));
            c.releaseSavepoint(sp);
        } catch (SQLException e) {
            c.rollback(sp);
            if (WriteErrors.classify(e) == WriteErrors.Kind.MOMENT) {
                throw e;
            }
            if (which.size() == 1) {
                refused.put(which.get(0), WriteErrors.describe(e));
                return;
            }
            int half = which.size() / 2;
            insertIsolating(c, keys, until, which.subList(0, half), out, refused);
            insertIsolating(c, keys, until, which.subList(half, which.size()), out, refused);
        }
    }

    /**
     * Moves {@code samples_until} of the series {@code which} on to {@code until}; returns those
     * whose row is gone. The update takes each row's lock, so it and the clean-up's delete of the
     * row happen one after the other: either the delete sees the new value and keeps the row, or
     * the update finds no row.
     */
    private static List<Integer> moveOn(Connection c, List<String> keys, long[] until, List<Integer> which,
            long[] ids, long[] heldUntil) throws SQLException {
        long[] idArray = new long[which.size()];
        long[] untilArray = new long[which.size()];
        for (int k = 0; k < which.size(); k++) {
            idArray[k] = ids[which.get(k)];
            untilArray[k] = until[which.get(k)];
        }
        Map<Long, Long> held = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("UPDATE series SET samples_until = greatest(samples_until, "
                + UNTIL + ") FROM unnest(?::bigint[], ?::bigint[]) AS t(id, u) WHERE series.id = t.id RETURNING"
                + " series.id, " + UNTIL_MS)) {
            ps.setArray(1, c.createArrayOf("bigint", box(idArray)));
            ps.setArray(2, c.createArrayOf("bigint", box(untilArray)));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    held.put(rs.getLong(1), rs.getLong(2));
                }
            }
        }
        List<Integer> gone = new ArrayList<>();
        for (int i : which) {
            Long h = held.get(ids[i]);
            if (h == null) {
                gone.add(i);
                ids[i] = -1;
            } else {
                heldUntil[i] = h;
            }
        }
        return gone;
    }

    private static List<String> keysOf(List<String> keys, List<Integer> which) {
        List<String> out = new ArrayList<>(which.size());
        for (int i : which) {
            out.add(keys.get(i));
        }
        return out;
    }

    private static long[] constant(int n, long v) {
        long[] a = new long[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    private static Long[] box(long[] a) {
        Long[] out = new Long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    /** Key to {id, samples_until in epoch ms} of the stored series among {@code keys}. */
    private static Map<String, long[]> select(Connection c, List<String> keys) throws SQLException {
        Map<String, long[]> out = new HashMap<>(keys.size() * 2);
        try (PreparedStatement ps = c.prepareStatement("SELECT key, id, " + UNTIL_MS
                + " FROM series WHERE key = ANY (?)")) {
            Array arr = c.createArrayOf("text", keys.toArray());
            ps.setArray(1, arr);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3)});
                }
            }
            arr.free();
        }
        return out;
    }

    private static Map<String, long[]> insert(Connection c, List<String> keys, long[] until, List<Integer> which)
            throws SQLException {
        String[] k = new String[which.size()];
        String[] names = new String[which.size()];
        String[] labels = new String[which.size()];
        Long[] untils = new Long[which.size()];
        for (int j = 0; j < which.size(); j++) {
            int i = which.get(j);
            k[j] = keys.get(i);
            SeriesKey.Parsed m = SeriesKey.parse(k[j]);
            names[j] = m.name();
            try {
                labels[j] = JSON.writeValueAsString(m.labels());
            } catch (JsonProcessingException e) {
                throw new SQLException("encoding labels of " + k[j], e);
            }
            untils[j] = until[i];
        }
        Map<String, long[]> out = new HashMap<>(which.size() * 2);
        // sorted by key so that two instances inserting overlapping sets take row locks in one order
        String sql = "INSERT INTO series (key, name, labels, samples_until) "
                + "SELECT t.k, t.n, t.l::jsonb, " + UNTIL
                + " FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[]) AS t(k, n, l, u) ORDER BY t.k "
                + "ON CONFLICT (key) DO NOTHING RETURNING key, id, " + UNTIL_MS;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", k));
            ps.setArray(2, c.createArrayOf("text", names));
            ps.setArray(3, c.createArrayOf("text", labels));
            ps.setArray(4, c.createArrayOf("bigint", untils));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3)});
                }
            }
        }
        return out;
    }
}
