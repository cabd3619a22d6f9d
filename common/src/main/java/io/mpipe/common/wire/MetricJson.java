package io.mpipe.common.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.metric.MetricRules;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The wire format of a metric record value, as JSON:
 *
 * <pre>{"name":"up","timestamp":1700000000000,"value":1.0,"labels":{"job":"api"}}</pre>
 *
 * <p>{@code value} is a JSON number, or one of the strings {@code "NaN"}, {@code "+Inf"},
 * {@code "-Inf"}. {@code labels} may be absent or null (no labels). Unknown fields are ignored so
 * that producers may add fields; a repeated field is an error (checked here for the four fields and
 * by {@link Labels.Builder} for labels, which is cheaper than the parser's general detection).
 * Records in exactly the shape {@link #encode} writes take a faster path ({@code CanonicalJson})
 * that yields the same metric. Written and read with Jackson's
 * streaming API, which is several times faster than data binding for a record this small.
 *
 * <p>Thread-safe.
 */
public final class MetricJson {
    /** Largest record value accepted, in bytes; a sane metric is a few hundred. */
    public static final int MAX_RECORD_BYTES = 64 * 1024;

    static final String NAN = "NaN";
    static final String POS_INF = "+Inf";
    static final String NEG_INF = "-Inf";

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(8)
                    .maxStringLength(MAX_RECORD_BYTES)
                    .maxNumberLength(64)
                    .build())
            .build();

    private MetricJson() {
    }

    /** Encodes a metric as UTF-8 JSON. */
    public static byte[] encode(Metric m) {
        byte[] fast = CanonicalJson.tryEncode(m);
        return fast != null ? fast : encodeWithJackson(m);
    }

    /** The general path: any strings, escaped as JSON needs. */
    static byte[] encodeWithJackson(Metric m) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(160);
                JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("name", m.name());
            g.writeNumberField("timestamp", m.timestamp());
            g.writeFieldName("value");
            writeValue(g, m.value());
            Labels labels = m.labels();
            g.writeObjectFieldStart("labels");
            for (int i = 0; i < labels.size(); i++) {
                g.writeStringField(labels.nameAt(i), labels.valueAt(i));
            }
            g.writeEndObject();
            g.writeEndObject();
            g.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding metric " + m.name(), e);
        }
    }

    /** Encodes a metric as a JSON string (one line of a JSON-lines file). */
    public static String encodeToString(Metric m) {
        return new String(encode(m), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void writeValue(JsonGenerator g, double v) throws IOException {
        if (Double.isNaN(v)) {
            g.writeString(NAN);
        } else if (v == Double.POSITIVE_INFINITY) {
            g.writeString(POS_INF);
        } else if (v == Double.NEGATIVE_INFINITY) {
            g.writeString(NEG_INF);
        } else {
            g.writeNumber(v);
        }
    }

    /**
     * Decodes a record value.
     *
     * @throws MetricDecodeException naming the field and the reason for anything that is not a
     *                               valid metric: bad JSON, wrong types, missing fields, names
     *                               or labels that break the rules
     */
    public static Metric decode(byte[] bytes) {
        if (bytes == null) {
            throw new MetricDecodeException("value", "record has no value (null)");
        }
        return decode(bytes, 0, bytes.length);
    }

    /** Decodes {@code len} bytes from {@code offset}; see {@link #decode(byte[])}. */
    public static Metric decode(byte[] bytes, int offset, int len) {
        if (len > MAX_RECORD_BYTES) {
            throw new MetricDecodeException("value", "record is " + len + " bytes, more than " + MAX_RECORD_BYTES);
        }
        try {
            Metric fast = CanonicalJson.tryDecode(bytes, offset, len);
            if (fast != null) {
                return fast;
            }
        } catch (InvalidMetricException e) {
            throw new MetricDecodeException(e.field(), e.reason());
        }
        return decodeWithJackson(bytes, offset, len);
    }

    /** The general path: any valid JSON, every error reported with its field. */
    static Metric decodeWithJackson(byte[] bytes, int offset, int len) {
        try (JsonParser p = FACTORY.createParser(bytes, offset, len)) {
            return read(p);
        } catch (InvalidMetricException e) {
            throw new MetricDecodeException(e.field(), e.reason());
        } catch (MetricDecodeException e) {
            throw e;
        } catch (JsonProcessingException e) {
            throw new MetricDecodeException("json", e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new MetricDecodeException("json", String.valueOf(e.getMessage()), e);
        }
    }

    /** Decodes one JSON text; see {@link #decode(byte[])}. */
    public static Metric decode(String json) {
        return decode(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static Metric read(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new MetricDecodeException("json", "expected a JSON object");
        }
        String name = null;
        long timestamp = 0;
        boolean haveTimestamp = false;
        double value = 0;
        boolean haveValue = false;
        Labels labels = Labels.EMPTY;
        boolean haveLabels = false;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
                case "name" -> {
                    if (name != null) {
                        throw duplicate(field);
                    }
                    if (v != JsonToken.VALUE_STRING) {
                        throw new MetricDecodeException("name", "must be a string, not " + describe(v));
                    }
                    name = p.getText();
                }
                case "timestamp" -> {
                    if (haveTimestamp) {
                        throw duplicate(field);
                    }
                    if (v != JsonToken.VALUE_NUMBER_INT) {
                        throw new MetricDecodeException("timestamp",
                                "must be an integer (epoch milliseconds), not " + describe(v));
                    }
                    if (p.getNumberType() != JsonParser.NumberType.INT
                            && p.getNumberType() != JsonParser.NumberType.LONG) {
                        throw new MetricDecodeException("timestamp", "out of range");
                    }
                    timestamp = p.getLongValue();
                    haveTimestamp = true;
                }
                case "value" -> {
                    if (haveValue) {
                        throw duplicate(field);
                    }
                    value = readValue(p, v);
                    haveValue = true;
                }
                case "labels" -> {
                    if (haveLabels) {
                        throw duplicate(field);
                    }
                    labels = readLabels(p, v);
                    haveLabels = true;
                }
                default -> p.skipChildren();
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw new MetricDecodeException("json", "malformed object");
        }
        if (p.nextToken() != null) {
            throw new MetricDecodeException("json", "trailing content after the object");
        }
        if (name == null) {
            throw new MetricDecodeException("name", "is required");
        }
        if (!haveTimestamp) {
            throw new MetricDecodeException("timestamp", "is required");
        }
        if (!haveValue) {
            throw new MetricDecodeException("value", "is required");
        }
        return new Metric(name, timestamp, value, labels);
    }

    private static MetricDecodeException duplicate(String field) {
        return new MetricDecodeException(field, "appears more than once");
    }

    private static double readValue(JsonParser p, JsonToken v) throws IOException {
        if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
            double d = p.getDoubleValue();
            if (Double.isInfinite(d)) {
                throw new MetricDecodeException("value", abbreviate(p.getText())
                        + " is beyond the range of a double (an infinity is written \"+Inf\" or \"-Inf\")");
            }
            return d;
        }
        if (v == JsonToken.VALUE_STRING) {
            String s = p.getText();
            switch (s) {
                case NAN:
                    return Double.NaN;
                case POS_INF:
                    return Double.POSITIVE_INFINITY;
                case NEG_INF:
                    return Double.NEGATIVE_INFINITY;
                default:
                    throw new MetricDecodeException("value", "string '" + abbreviate(s)
                            + "' is not one of NaN, +Inf, -Inf");
            }
        }
        throw new MetricDecodeException("value", "must be a number or NaN/+Inf/-Inf, not " + describe(v));
    }

    private static Labels readLabels(JsonParser p, JsonToken v) throws IOException {
        if (v == JsonToken.VALUE_NULL) {
            return Labels.EMPTY;
        }
        if (v != JsonToken.START_OBJECT) {
            throw new MetricDecodeException("labels", "must be an object, not " + describe(v));
        }
        Labels.Builder b = Labels.builder();
        int count = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken lv = p.nextToken();
            if (lv != JsonToken.VALUE_STRING) {
                throw new MetricDecodeException("labels." + abbreviate(key), "must be a string, not " + describe(lv));
            }
            if (++count > MetricRules.MAX_LABELS) {
                throw new MetricDecodeException("labels", "more than " + MetricRules.MAX_LABELS + " labels");
            }
            b.put(key, p.getText());
        }
        return b.build();
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "end of input";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.toString();
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }
}
