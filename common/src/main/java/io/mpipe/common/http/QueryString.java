package io.mpipe.common.http;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A parsed, size-bounded query string. Parameters may repeat. */
public final class QueryString {
    /** Longest query string accepted, in characters. */
    public static final int MAX_LENGTH = 8192;

    private final Map<String, List<String>> params;

    private QueryString(Map<String, List<String>> params) {
        this.params = params;
    }

    /** @throws HttpError 400 (414-like) when the query is too long or malformed */
    public static QueryString of(URI uri) {
        String raw = uri.getRawQuery();
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return new QueryString(out);
        }
        if (raw.length() > MAX_LENGTH) {
            throw HttpError.badRequest("query string longer than " + MAX_LENGTH + " characters");
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
            } catch (IllegalArgumentException e) {
                throw HttpError.badRequest("malformed query string: " + e.getMessage());
            }
        }
        return new QueryString(out);
    }

    public String get(String name) {
        List<String> v = params.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    public List<String> all(String name) {
        return params.getOrDefault(name, List.of());
    }

    public Map<String, List<String>> asMap() {
        return params;
    }

    /** An integer parameter within [min, max], or {@code def} when absent. */
    public int intParam(String name, int def, int min, int max) {
        String v = get(name);
        if (v == null || v.isEmpty()) {
            return def;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw HttpError.badRequest(name + ": '" + abbreviate(v) + "' is not an integer");
        }
        if (n < min || n > max) {
            throw HttpError.badRequest(name + ": " + n + " is out of range [" + min + ", " + max + "]");
        }
        return n;
    }

    static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }
}
