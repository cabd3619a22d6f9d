package io.mpipe.collector.replay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.mpipe.common.metric.InvalidMetricException;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;

/**
 * The fields of one CSV record (split by {@link CsvSplitter}) to a {@link ReplayLine}; pure.
 *
 * <p>{@link ReplayFormat#CSV}: {@code name,timestamp,value,labels}. The name is taken as it is;
 * the timestamp and the value may be surrounded by blanks; the labels are a JSON object of
 * strings (PostgreSQL's jsonb text), and an empty field or JSON {@code null} means no labels.
 * {@link ReplayFormat#CSV_TS}: {@code timestamp,value}, the name and labels from the options.
 * Timestamps: see {@link TimestampFormat}; values: see {@link ValueFormat}. A header record is
 * recognised wherever it appears (files concatenated with their headers) and yields nothing.
 */
final class CsvParser {
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(4).build())
            .build();

    private final ReplayFormat format;
    private final ReplayOptions options;

    CsvParser(ReplayFormat format, ReplayOptions options) {
        if (format != ReplayFormat.CSV && format != ReplayFormat.CSV_TS) {
            throw new IllegalArgumentException("not a CSV format: " + format);
        }
        this.format = format;
        this.options = Objects.requireNonNull(options, "options");
    }

    /** True when {@code fields} are the header of {@code format}, in any letter case. */
    static boolean isHeader(ReplayFormat format, List<String> fields) {
        if (format == ReplayFormat.CSV) {
            return fields.size() == 4
                    && is(fields.get(0), "name")
                    && (is(fields.get(1), "ts") || is(fields.get(1), "timestamp"))
                    && is(fields.get(2), "value")
                    && is(fields.get(3), "labels");
        }
        return format == ReplayFormat.CSV_TS
                && fields.size() == 2
                && (is(fields.get(0), "timestamp") || is(fields.get(0), "ts") || is(fields.get(0), "time"))
                && is(fields.get(1), "value");
    }

    /**
     * Parses one record.
     *
     * @return the record's {@code Good} or {@code Bad}, or null for a header
     */
    ReplayLine parse(long line, List<String> fields) {
        if (isHeader(format, fields)) {
            return null;
        }
        try {
            if (format == ReplayFormat.CSV_TS) {
                if (fields.size() != 2) {
                    throw new BadFieldException("line", "expected 2 fields (timestamp,value), found " + fields.size());
                }
                long ts = TimestampFormat.parse(fields.get(0).strip());
                double value = ValueFormat.parse(fields.get(1).strip());
                return new ReplayLine.Good(line, new Metric(options.name(), ts, value, options.labels()));
            }
            if (fields.size() != 4) {
                throw new BadFieldException("line", "expected 4 fields (name,timestamp,value,labels), found "
                        + fields.size());
            }
            long ts = TimestampFormat.parse(fields.get(1).strip());
            double value = ValueFormat.parse(fields.get(2).strip());
            Labels labels = parseLabels(fields.get(3));
            return new ReplayLine.Good(line, options.withExtraLabels(new Metric(fields.get(0), ts, value, labels)));
        } catch (BadFieldException e) {
            return ReplayLine.Bad.of(line, e.field(), e.reason());
        } catch (InvalidMetricException e) {
            return ReplayLine.Bad.of(line, e.field(), e.reason());
        }
    }

    /**
     * Parses a labels field: a JSON object whose values are strings.
     *
     * @throws BadFieldException       for anything else
     * @throws InvalidMetricException  for a label that breaks the naming rules
     */
    static Labels parseLabels(String field) {
        String text = field.strip();
        if (text.isEmpty() || text.equals("null")) {
            return Labels.EMPTY;
        }
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadFieldException("labels", "must be a JSON object, not " + BadFieldException.quote(text));
            }
            Labels.Builder b = Labels.builder();
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken v = p.nextToken();
                if (v != JsonToken.VALUE_STRING) {
                    throw new BadFieldException("labels." + BadFieldException.abbreviate(key), "must be a string, not " + describe(v));
                }
                b.put(key, p.getText());
            }
            if (t != JsonToken.END_OBJECT) {
                throw new BadFieldException("labels", "malformed JSON object");
            }
            if (p.nextToken() != null) {
                throw new BadFieldException("labels", "trailing content after the JSON object");
            }
            return b.build();
        } catch (JsonProcessingException e) {
            throw new BadFieldException("labels", "not valid JSON at column " + e.getLocation().getColumnNr() + ": "
                    + firstSentence(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new UncheckedIOException("reading JSON from a string", e); // cannot happen
        }
    }

    /** Jackson's message without the parenthesised source locations it appends. */
    private static String firstSentence(String message) {
        int end = message.indexOf(" (start marker");
        if (end < 0) {
            end = message.indexOf('\n');
        }
        String sentence = end < 0 ? message : message.substring(0, end);
        return sentence.length() <= 200 ? sentence : sentence.substring(0, 197) + "...";
    }

    private static boolean is(String field, String name) {
        return field.strip().equalsIgnoreCase(name);
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "end of input";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.toString();
        };
    }
}
