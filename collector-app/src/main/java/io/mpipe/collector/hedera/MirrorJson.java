package io.mpipe.collector.hedera;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * Reads the fields of mirror-node responses with their types checked. A missing field, a field of
 * the wrong type or a malformed value is a {@link BadResponseException} that names the field; a
 * field the API declares nullable may be null ({@code optional...}).
 *
 * <p>Amounts are int64 tinybars and stay exact: JSON integers are read as {@code long}, never
 * through a double; supply amounts come as decimal strings and go through {@link Long#parseLong}.
 * Timestamps ({@code "seconds.nanos"}) become {@link BigDecimal}s, exact to the nanosecond.
 */
final class MirrorJson {
    /** {@code seconds.nanos}, as in the API's {@code Timestamp} schema. */
    private static final Pattern TIMESTAMP = Pattern.compile("\\d{1,10}(\\.\\d{1,9})?");
    /** {@code shard.realm.num}, as in the API's {@code EntityId} schema. */
    static final Pattern ENTITY_ID = Pattern.compile("\\d{1,10}\\.\\d{1,10}\\.\\d{1,10}");
    /** Longest free-text value accepted where it becomes a label value (a transaction type, a result). */
    private static final int MAX_NAME_LENGTH = 100;

    private MirrorJson() {
    }

    /** A required JSON object. */
    static JsonNode object(JsonNode parent, String field) throws BadResponseException {
        JsonNode n = parent.get(field);
        if (n == null || !n.isObject()) {
            throw wrong(field, "an object", n);
        }
        return n;
    }

    /** A required JSON array, as a list of its elements. */
    static List<JsonNode> array(JsonNode parent, String field) throws BadResponseException {
        JsonNode n = parent.get(field);
        if (n == null || !n.isArray()) {
            throw wrong(field, "an array", n);
        }
        List<JsonNode> out = new ArrayList<>(n.size());
        n.forEach(out::add);
        return out;
    }

    /** A nullable JSON array: empty when null. */
    static List<JsonNode> optionalArray(JsonNode parent, String field) throws BadResponseException {
        JsonNode n = parent.get(field);
        return n == null || n.isNull() ? List.of() : array(parent, field);
    }

    /** A required int64. */
    static long int64(JsonNode parent, String field) throws BadResponseException {
        JsonNode n = parent.get(field);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
            throw wrong(field, "an int64", n);
        }
        return n.longValue();
    }

    /** A nullable int64: empty when null or absent. */
    static OptionalLong optionalInt64(JsonNode parent, String field) throws BadResponseException {
        JsonNode n = parent.get(field);
        return n == null || n.isNull() ? OptionalLong.empty() : OptionalLong.of(int64(parent, field));
    }

    /** A required int64 sent as a decimal string (the supply amounts). */
    static long int64String(JsonNode parent, String field) throws BadResponseException {
        JsonNode n = parent.get(field);
        if (n == null || !n.isTextual()) {
            throw wrong(field, "an int64 in a string", n);
        }
        try {
            return Long.parseLong(n.textValue());
        } catch (NumberFormatException e) {
            throw wrong(field, "an int64 in a string", n);
        }
    }

    /** A required, non-empty string. */
    static String text(JsonNode parent, String field) throws BadResponseException {
        JsonNode n = parent.get(field);
        if (n == null || !n.isTextual() || n.textValue().isEmpty()) {
            throw wrong(field, "a non-empty string", n);
        }
        return n.textValue();
    }

    /** A nullable string: empty when null or absent. */
    static Optional<String> optionalText(JsonNode parent, String field) throws BadResponseException {
        JsonNode n = parent.get(field);
        return n == null || n.isNull() ? Optional.empty() : Optional.of(text(parent, field));
    }

    /** A required name that becomes a label value: a transaction type, a result. */
    static String name(JsonNode parent, String field) throws BadResponseException {
        String s = text(parent, field);
        if (s.length() > MAX_NAME_LENGTH) {
            throw wrong(field, "a name of at most " + MAX_NAME_LENGTH + " characters", parent.get(field));
        }
        return s;
    }

    /** A required entity id, {@code shard.realm.num}. */
    static String entityId(JsonNode parent, String field) throws BadResponseException {
        String s = text(parent, field);
        if (!ENTITY_ID.matcher(s).matches()) {
            throw wrong(field, "an entity id (shard.realm.num)", parent.get(field));
        }
        return s;
    }

    /** A nullable entity id: empty when null or absent. */
    static Optional<String> optionalEntityId(JsonNode parent, String field) throws BadResponseException {
        JsonNode n = parent.get(field);
        return n == null || n.isNull() ? Optional.empty() : Optional.of(entityId(parent, field));
    }

    /** A required {@code "seconds.nanos"} timestamp, exact. */
    static BigDecimal timestamp(JsonNode parent, String field) throws BadResponseException {
        JsonNode n = parent.get(field);
        if (n == null || !n.isTextual() || !TIMESTAMP.matcher(n.textValue()).matches()) {
            throw wrong(field, "a timestamp (seconds.nanos)", n);
        }
        return new BigDecimal(n.textValue());
    }

    /** A nullable {@code "seconds.nanos"} timestamp: empty when null or absent. */
    static Optional<BigDecimal> optionalTimestamp(JsonNode parent, String field) throws BadResponseException {
        JsonNode n = parent.get(field);
        return n == null || n.isNull() ? Optional.empty() : Optional.of(timestamp(parent, field));
    }

    /**
     * {@code links.next}: the path of the next page, or null on the last page. Only a path on the
     * same server is followed; anything else is a bad response.
     */
    static String nextLink(JsonNode root) throws BadResponseException {
        JsonNode links = root.get("links");
        if (links == null || links.isNull()) {
            return null;
        }
        if (!links.isObject()) {
            throw wrong("links", "an object", links);
        }
        JsonNode next = links.get("next");
        if (next == null || next.isNull()) {
            return null;
        }
        if (!next.isTextual() || !next.textValue().startsWith("/") || next.textValue().startsWith("//")) {
            throw wrong("links.next", "a path starting with /", next);
        }
        try {
            new URI(next.textValue());
        } catch (URISyntaxException e) {
            throw wrong("links.next", "a valid path and query", next);
        }
        return next.textValue();
    }

    private static BadResponseException wrong(String field, String expected, JsonNode got) {
        return new BadResponseException(field + ": expected " + expected + ", got " + describe(got));
    }

    private static String describe(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "nothing";
        }
        String s = n.toString();
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
