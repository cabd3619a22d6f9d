package io.mpipe.collector.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.collector.replay.ReplayLine.Bad;
import io.mpipe.collector.replay.ReplayLine.Good;
import io.mpipe.common.metric.Labels;
import io.mpipe.common.metric.Metric;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ReplayReaderTest {
    private static final ReplayOptions NAMED_UP = new ReplayOptions(null, "up", null);

    @TempDir
    Path dir;

    // ---- JSON lines

    @Test
    void shouldReadJsonLinesAndReportBadLinesWithTheirNumbers() throws IOException {
        Path file = write("metrics.jsonl", """
                {"name":"up","timestamp":1700000000000,"value":1,"labels":{"job":"api"}}

                not json
                {"name":"up","timestamp":1700000000001,"value":"NaN"}
                {"name":"bad name","timestamp":1700000000002,"value":1}
                {"name":"up","timestamp":1700000000003,"value":"-Inf","labels":{"job":"api","host":"h"}}
                {"name":"up","timestamp":"yesterday","value":1}
                {"name":"up","timestamp":1700000000005,"value":2.5}
                """);

        List<ReplayLine> lines = readAll(file, ReplayOptions.detect());

        assertThat(lines).hasSize(7);
        assertThat(lines.get(0)).isEqualTo(new Good(1, new Metric("up", 1_700_000_000_000L, 1, Labels.of("job", "api"))));
        assertThat(lines.get(1)).isInstanceOf(Bad.class).extracting(ReplayLine::line).isEqualTo(3L);
        assertThat(((Bad) lines.get(1)).reason()).startsWith("json: ");
        assertThat(lines.get(2)).isEqualTo(new Good(4, new Metric("up", 1_700_000_000_001L, Double.NaN, Labels.EMPTY)));
        assertThat(lines.get(3)).isEqualTo(new Bad(5, "name: 'bad name' does not match [a-zA-Z_:][a-zA-Z0-9_:]*"));
        assertThat(lines.get(4)).isEqualTo(new Good(6, new Metric("up", 1_700_000_000_003L, Double.NEGATIVE_INFINITY,
                Labels.of("job", "api", "host", "h"))));
        assertThat(lines.get(5)).isEqualTo(new Bad(7, "timestamp: must be an integer (epoch milliseconds), not a string"));
        assertThat(lines.get(6)).isEqualTo(new Good(8, new Metric("up", 1_700_000_000_005L, 2.5, Labels.EMPTY)));
    }

    // ---- CSV name,timestamp,value,labels

    @Test
    void shouldReadCsvAsPostgresCopyWritesIt() throws IOException {
        // written by PostgreSQL 15: \copy (SELECT name, ts, value, labels FROM metrics) TO 'f.csv' CSV HEADER,
        // once with TimeZone UTC and the last two rows with TimeZone Asia/Kolkata
        Path file = write("export.csv", """
                name,ts,value,labels
                http_requests_total,2026-11-27 06:00:00.123+00,1.5,"{""k"": ""v \\""quoted\\\"\"\"\", ""host"": ""a""}"
                cpu,2026-11-27 06:00:00+00,NaN,"{""path"": ""/a,b"", ""multi"": ""x\\ny""}"
                cpu,2026-11-27 06:00:00.000456+00,Infinity,
                cpu,2026-11-27 06:00:01+00,-Infinity,{}
                big,2026-11-27 06:00:01.5+00,1e+20,"{""uni"": ""ü€""}"
                small,2026-11-27 06:00:01.5+00,1.5e-07,"{""a"": ""b""}"
                "na""me",2026-11-27 06:00:01.5+00,0.1,"{""a"": ""b""}"
                http_requests_total,2026-11-27 11:30:00.123+05:30,1.5,"{""k"": ""v \\""quoted\\\"\"\"\", ""host"": ""a""}"
                empty,2026-11-27 11:30:00+05:30,3,"{""x"": \"\"\"\"}"
                """);

        List<ReplayLine> lines = readAll(file, ReplayOptions.detect());

        assertThat(lines).containsExactly(
                new Good(2, m("http_requests_total", "2026-11-27T06:00:00.123Z", 1.5, "k", "v \"quoted\"", "host", "a")),
                new Good(3, m("cpu", "2026-11-27T06:00:00Z", Double.NaN, "path", "/a,b", "multi", "x\ny")),
                new Good(4, m("cpu", "2026-11-27T06:00:00Z", Double.POSITIVE_INFINITY)),
                new Good(5, m("cpu", "2026-11-27T06:00:01Z", Double.NEGATIVE_INFINITY)),
                new Good(6, m("big", "2026-11-27T06:00:01.500Z", 1e20, "uni", "ü€")),
                new Good(7, m("small", "2026-11-27T06:00:01.500Z", 1.5e-7, "a", "b")),
                new Bad(8, "name: 'na\"me' does not match [a-zA-Z_:][a-zA-Z0-9_:]*"),
                new Good(9, m("http_requests_total", "2026-11-27T06:00:00.123Z", 1.5, "k", "v \"quoted\"", "host", "a")),
                new Good(10, m("empty", "2026-11-27T06:00:00Z", 3)));
    }

    @Test
    void shouldReportBadCsvLinesWithTheirNumbersAndGoOn() throws IOException {
        Path file = write("export.csv", """
                name,timestamp,value,labels
                cpu,yesterday,1,{}
                cpu,2026-11-27 06:00:00+00,lots,{}
                cpu,2026-11-27 06:00:00+00,1
                cpu,2026-11-27 06:00:00+00,1,"{""n"": 1}"
                cpu,2026-11-27 06:00:00+00,1,"{""a"": ""b\"\"\"
                cpu,2026-11-27 06:00:00+00,1,"[1]"
                cpu,2026-11-27 06:00:00+00,1,"{""bad-label"": ""b""}"
                cpu,"2026-11-27 06:00:00+00"x,1,{}
                cpu,1969-12-31 23:59:59+00,1,{}
                "two
                lines",2026-11-27 06:00:00+00,2,"{""a"": ""b""}"
                cpu,2026-11-27T06:00:00Z,7,"{""a"": ""b""}"
                """);

        List<ReplayLine> lines = readAll(file, ReplayOptions.detect());

        assertThat(lines).containsExactly(
                new Bad(2, "timestamp: 'yesterday' is not ISO-8601 or epoch"),
                new Bad(3, "value: 'lots' is not a number, NaN or an infinity"),
                new Bad(4, "line: expected 4 fields (name,timestamp,value,labels), found 3"),
                new Bad(5, "labels.n: must be a string, not a number"),
                new Bad(6, "labels: not valid JSON at column 10: Unexpected end-of-input: expected close marker for Object"),
                new Bad(7, "labels: must be a JSON object, not '[1]'"),
                new Bad(8, "labels.bad-label: label name does not match [a-zA-Z_][a-zA-Z0-9_]*"),
                new Bad(9, "csv: unexpected 'x' after a closing quote at column 29"),
                new Bad(10, "timestamp: -1000 is outside [1970-01-01, 2100-01-01) in epoch milliseconds"),
                new Bad(11, "name: 'two\nlines' does not match [a-zA-Z_:][a-zA-Z0-9_:]*"),
                new Good(13, m("cpu", "2026-11-27T06:00:00Z", 7, "a", "b")));
    }

    @Test
    void shouldReadACsvRecordSpanningLinesAndKeepCountingLines() throws IOException {
        Path file = write("export.csv", """
                name,ts,value,labels
                cpu,2026-11-27 06:00:00+00,1,"{
                  ""host"": ""a"",
                  ""note"": ""x, y""
                }"
                cpu,2026-11-27 06:00:01+00,2,
                """);

        assertThat(readAll(file, ReplayOptions.detect())).containsExactly(
                new Good(2, m("cpu", "2026-11-27T06:00:00Z", 1, "host", "a", "note", "x, y")),
                new Good(6, m("cpu", "2026-11-27T06:00:01Z", 2)));
    }

    @Test
    void shouldReportAnUnclosedQuoteOnItsLineAndReadTheLinesAfterIt() throws IOException {
        Path file = write("export.csv", """
                name,ts,value,labels
                cpu,2026-11-27 06:00:00+00,1,"{""a"": ""b""}
                cpu,2026-11-27 06:00:01+00,2,
                cpu,2026-11-27 06:00:02+00,3,"{""a"": ""b""}"
                """);

        assertThat(readAll(file, ReplayOptions.detect())).containsExactly(
                new Bad(2, "csv: quoted field opened on this line ends badly on line 4:"
                        + " unexpected '{' after a closing quote at column 31"),
                new Good(3, m("cpu", "2026-11-27T06:00:01Z", 2)),
                new Good(4, m("cpu", "2026-11-27T06:00:02Z", 3, "a", "b")));

        Path unclosedToTheEnd = write("export2.csv", """
                cpu,2026-11-27 06:00:00+00,1,"{""a"": ""b""}
                cpu,2026-11-27 06:00:01+00,2,
                """);
        assertThat(readAll(unclosedToTheEnd, ReplayOptions.detect())).containsExactly(
                new Bad(1, "csv: quoted field is not closed before the end of the file"),
                new Good(2, m("cpu", "2026-11-27T06:00:01Z", 2)));
    }

    // ---- CSV timestamp,value

    @Test
    void shouldReadTimestampValueCsvWithTheNameAndLabelsFromTheOptions() throws IOException {
        Path file = write("series.csv", """
                timestamp,value
                2014-02-14 14:27:00,0.132
                2014-02-14T14:32:00Z,1
                1392388620,2
                1392388920500,3
                1392389220.25,4
                yesterday,5
                2014-02-14 14:52:00,abc
                2014-02-14 14:57:00
                2014-02-30 00:00:00,1
                2014-02-14 15:02:00 , NaN
                """);
        ReplayOptions options = new ReplayOptions(null, "cpu_utilization", Labels.of("host", "i-24ae8d"));

        List<ReplayLine> lines = readAll(file, options);

        assertThat(lines).containsExactly(
                new Good(2, m("cpu_utilization", "2014-02-14T14:27:00Z", 0.132, "host", "i-24ae8d")),
                new Good(3, m("cpu_utilization", "2014-02-14T14:32:00Z", 1, "host", "i-24ae8d")),
                new Good(4, m("cpu_utilization", "2014-02-14T14:37:00Z", 2, "host", "i-24ae8d")),
                new Good(5, m("cpu_utilization", "2014-02-14T14:42:00.500Z", 3, "host", "i-24ae8d")),
                new Good(6, m("cpu_utilization", "2014-02-14T14:47:00.250Z", 4, "host", "i-24ae8d")),
                new Bad(7, "timestamp: 'yesterday' is not ISO-8601 or epoch"),
                new Bad(8, "value: 'abc' is not a number, NaN or an infinity"),
                new Bad(9, "line: expected 2 fields (timestamp,value), found 1"),
                new Bad(10, "timestamp: '2014-02-30 00:00:00' is not a valid date"),
                new Good(11, m("cpu_utilization", "2014-02-14T15:02:00Z", Double.NaN, "host", "i-24ae8d")));
    }

    @Test
    void shouldReadTimestampValueCsvWithoutAHeader() throws IOException {
        Path file = write("series", "2014-02-14 14:27:00,0.132\r\n2014-02-14 14:32:00,0.134\r\n");

        try (ReplayReader reader = ReplayReader.open(file, NAMED_UP)) {
            assertThat(reader.format()).isEqualTo(ReplayFormat.CSV_TS);
            assertThat(reader.next()).isEqualTo(new Good(1, m("up", "2014-02-14T14:27:00Z", 0.132)));
            assertThat(reader.next()).isEqualTo(new Good(2, m("up", "2014-02-14T14:32:00Z", 0.134)));
            assertThat(reader.hasNext()).isFalse();
        }
    }

    @Test
    void shouldRequireAMetricNameForTimestampValueCsv() throws IOException {
        Path file = write("series.csv", "timestamp,value\n2014-02-14 14:27:00,0.132\n");

        assertThatThrownBy(() -> ReplayReader.open(file, ReplayOptions.detect()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("is a timestamp,value (csv-ts) file, which names no metric: give the metric's name");
    }

    // ---- OpenMetrics and Prometheus text

    @Test
    void shouldReadOpenMetricsTimestampsAsSeconds() throws IOException {
        Path file = write("metrics.om", """
                # HELP http_requests Requests handled.
                # TYPE http_requests counter
                # UNIT http_requests requests
                http_requests_total{method="GET",path="/a \\"b\\" \\\\ c\\nd"} 1027 1520879607.789
                http_requests_created{method="GET"} 1520870000.5 1520879607.789
                # TYPE temp_celsius gauge
                temp_celsius{room="x"} NaN 1520879608 # {trace_id="x"} 0.5 1520879608.1
                temp_celsius{room="y"} +Inf 1520879608
                temp_celsius{room="z"} -Inf 1.520879608e9
                # EOF
                """);

        assertThat(readAll(file, ReplayOptions.detect())).containsExactly(
                new Good(4, m("http_requests_total", "2018-03-12T18:33:27.789Z", 1027,
                        "method", "GET", "path", "/a \"b\" \\ c\nd")),
                new Good(5, m("http_requests_created", "2018-03-12T18:33:27.789Z", 1520870000.5, "method", "GET")),
                new Good(7, m("temp_celsius", "2018-03-12T18:33:28Z", Double.NaN, "room", "x")),
                new Good(8, m("temp_celsius", "2018-03-12T18:33:28Z", Double.POSITIVE_INFINITY, "room", "y")),
                new Good(9, m("temp_celsius", "2018-03-12T18:33:28Z", Double.NEGATIVE_INFINITY, "room", "z")));
    }

    @Test
    void shouldReadPrometheusTextTimestampsAsMilliseconds() throws IOException {
        Path file = write("metrics.prom", """
                # HELP up Whether the target is up.
                # TYPE up gauge
                up{job="api",instance="h:9100"} 1 1520879607789
                up{job="api",instance="h:9101"}   0\t1520879607790
                up{job = "api", instance = "h:9102", } 1 1520879607791
                # a free comment, as the Prometheus format allows
                go_goroutines 42 1520879607000
                """);

        assertThat(readAll(file, ReplayOptions.detect())).containsExactly(
                new Good(3, m("up", "2018-03-12T18:33:27.789Z", 1, "job", "api", "instance", "h:9100")),
                new Good(4, m("up", "2018-03-12T18:33:27.790Z", 0, "job", "api", "instance", "h:9101")),
                new Good(5, m("up", "2018-03-12T18:33:27.791Z", 1, "job", "api", "instance", "h:9102")),
                new Good(7, m("go_goroutines", "2018-03-12T18:33:27Z", 42)));
    }

    @Test
    void shouldReportBadOpenMetricsLinesWithTheirNumbersAndGoOn() throws IOException {
        Path file = write("metrics.prom", """
                # TYPE up gauge
                up{job="api"} 1 1520879607.789
                up{job="api"} 1
                up{job="api"} 1 # {trace_id="a"} 1 1520879607
                up{job="api" 1 1520879607
                up{job="api"} one 1520879607
                up{job="api"} 1 later
                up{__name__="x"} 1 1520879607
                up-time 1 1520879607
                up 1 1520879607 extra
                up{job="a\\qb"} 2 1520879607
                up{job="unterminated} 1 1520879607
                {job="api"} 1 1520879607
                up 3 1520879607
                """);

        assertThat(readAll(file, ReplayOptions.detect())).containsExactly(
                new Good(2, m("up", "2018-03-12T18:33:27.789Z", 1, "job", "api")),
                new Bad(3, "timestamp: missing; replay keeps original timestamps"),
                new Bad(4, "timestamp: missing; replay keeps original timestamps"),
                new Bad(5, "labels: expected ',' or '}' at column 14"),
                new Bad(6, "value: 'one' is not a number, NaN or an infinity"),
                new Bad(7, "timestamp: 'later' is not an epoch number"),
                new Bad(8, "labels.__name__: label names starting with __ are reserved"),
                new Bad(9, "name: 'up-time' does not match [a-zA-Z_:][a-zA-Z0-9_:]*"),
                new Bad(10, "line: unexpected 'extra' after the timestamp"),
                new Good(11, m("up", "2018-03-12T18:33:27Z", 2, "job", "a\\qb")),
                new Bad(12, "labels.job: value is not closed by '\"'"),
                new Bad(13, "name: missing before '{'"),
                new Good(14, m("up", "2018-03-12T18:33:27Z", 3)));
    }

    @Test
    void shouldStopReadingAtEof() throws IOException {
        Path file = write("metrics.om", """
                up 1 1520879607
                # EOF
                up 2 1520879608
                garbage that would be a bad line
                """);

        assertThat(readAll(file, ReplayOptions.detect())).containsExactly(new Good(1, m("up", "2018-03-12T18:33:27Z", 1)));
    }

    // ---- extra labels

    @Test
    void shouldAddTheExtraLabelsThatARecordLacks() throws IOException {
        ReplayOptions options = new ReplayOptions(null, null, Labels.of("job", "replayed", "env", "prod"));
        Path jsonl = write("m.jsonl", """
                {"name":"up","timestamp":1700000000000,"value":1,"labels":{"job":"api"}}
                {"name":"up","timestamp":1700000000000,"value":1}
                """);
        Path csv = write("m.csv", "name,ts,value,labels\nup,2023-11-14 22:13:20+00,1,\"{\"\"job\"\": \"\"api\"\"}\"\n");
        Path om = write("m.prom", "up{job=\"api\"} 1 1700000000000\nup 1 1700000000000\n");
        Metric own = new Metric("up", 1_700_000_000_000L, 1, Labels.of("job", "api", "env", "prod"));
        Metric added = new Metric("up", 1_700_000_000_000L, 1, Labels.of("job", "replayed", "env", "prod"));

        assertThat(readAll(jsonl, options)).containsExactly(new Good(1, own), new Good(2, added));
        assertThat(readAll(csv, options)).containsExactly(new Good(2, own));
        assertThat(readAll(om, options)).containsExactly(new Good(1, own), new Good(2, added));
    }

    // ---- compression and detection

    static Stream<Arguments> samples() {
        return Stream.of(
                Arguments.of(ReplayFormat.JSONL, """
                        {"name":"up","timestamp":1700000000000,"value":1,"labels":{"job":"api"}}
                        {"name":"up","timestamp":1700000000001,"value":2}
                        oops
                        """),
                Arguments.of(ReplayFormat.CSV, """
                        name,ts,value,labels
                        up,2023-11-14 22:13:20+00,1,"{""job"": ""api""}"
                        up,2023-11-14 22:13:20.001+00,2,
                        oops
                        """),
                Arguments.of(ReplayFormat.CSV_TS, """
                        timestamp,value
                        2023-11-14 22:13:20,1
                        2023-11-14 22:13:20.001,2
                        oops
                        """),
                Arguments.of(ReplayFormat.OPENMETRICS, """
                        # TYPE up gauge
                        up{job="api"} 1 1700000000
                        up 2 1700000000.001
                        oops
                        # EOF
                        """));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void shouldDetectGzipByItsMagicBytesWhateverTheName(ReplayFormat format, String content) throws IOException {
        Path plain = write("plain", content);
        Path gzipNoSuffix = writeGzip("compressed", content);
        Path gzipWithSuffix = writeGzip("compressed.gz", content);
        List<ReplayLine> expected = readAll(plain, NAMED_UP);

        assertThat(expected).hasSize(3);
        assertThat(expected.get(2)).isInstanceOf(Bad.class);
        for (Path file : List.of(gzipNoSuffix, gzipWithSuffix)) {
            try (ReplayReader reader = ReplayReader.open(file, NAMED_UP)) {
                assertThat(reader.format()).isEqualTo(format);
                List<ReplayLine> lines = new ArrayList<>();
                reader.forEachRemaining(lines::add);
                assertThat(lines).isEqualTo(expected);
                assertThat(reader.bytesRead()).isEqualTo(Files.size(file));
            }
        }
        Metric first = ((Good) expected.get(0)).metric();
        assertThat(first.timestamp()).isEqualTo(1_700_000_000_000L);
        assertThat(first.value()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void shouldDetectTheFormatFromTheContent(ReplayFormat format, String content) throws IOException {
        Path file = write("export-without-extension", "\n\n" + content);

        try (ReplayReader reader = ReplayReader.open(file, NAMED_UP)) {
            assertThat(reader.format()).isEqualTo(format);
            assertThat(reader.next()).isInstanceOf(Good.class).extracting(ReplayLine::line).isIn(3L, 4L);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "m.jsonl, JSONL", "m.ndjson, JSONL", "m.json.gz, JSONL",
        "m.prom, OPENMETRICS", "m.om, OPENMETRICS", "m.txt.gz, OPENMETRICS",
    })
    void shouldDetectTheFormatFromTheFileNameBeforeTheContent(String name, ReplayFormat expected) throws IOException {
        // the content says CSV; the name wins
        Path file = name.endsWith(".gz") ? writeGzip(name, "timestamp,value\n") : write(name, "timestamp,value\n");

        try (ReplayReader reader = ReplayReader.open(file, NAMED_UP)) {
            assertThat(reader.format()).isEqualTo(expected);
        }
    }

    @Test
    void shouldUseTheGivenFormatOverTheNameAndTheContent() throws IOException {
        Path file = write("m.jsonl", "up 1 1700000000\n");

        try (ReplayReader reader = ReplayReader.open(file, ReplayOptions.of(ReplayFormat.OPENMETRICS))) {
            assertThat(reader.format()).isEqualTo(ReplayFormat.OPENMETRICS);
            assertThat(reader.next()).isEqualTo(new Good(1, new Metric("up", 1_700_000_000_000L, 1, Labels.EMPTY)));
        }
    }

    @Test
    void shouldRefuseAFileWhoseFormatCannotBeTold() throws IOException {
        Path file = write("export.dat", "\nhello world how are you\n");

        assertThatThrownBy(() -> ReplayReader.open(file, ReplayOptions.detect()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot tell the format")
                .hasMessageContaining("line 2 'hello world how are you'");
    }

    @Test
    void shouldReadAnEmptyFileAsNoLines() throws IOException {
        Path file = write("empty", "\n  \n");

        assertThat(readAll(file, ReplayOptions.detect())).isEmpty();
    }

    // ---- lines

    @Test
    void shouldReportALineLongerThanTheLimitAndGoOn() throws IOException {
        String longLine = "{\"name\":\"" + "a".repeat(ReplayReader.MAX_LINE_CHARS) + "\"}";
        Path file = write("m.jsonl", longLine + "\n{\"name\":\"up\",\"timestamp\":1700000000000,\"value\":1}\n");

        assertThat(readAll(file, ReplayOptions.detect())).containsExactly(
                new Bad(1, "line: longer than 1048576 characters"),
                new Good(2, new Metric("up", 1_700_000_000_000L, 1, Labels.EMPTY)));
    }

    @Test
    void shouldIgnoreAByteOrderMarkAndCarriageReturns() throws IOException {
        Path file = write("nab", "\uFEFFtimestamp,value\r\n2014-02-14 14:27:00,0.132\r\n");

        assertThat(readAll(file, NAMED_UP)).containsExactly(new Good(2, m("up", "2014-02-14T14:27:00Z", 0.132)));
    }

    @Test
    void shouldSayHowFarIntoTheFileTheLinesReadReach() throws IOException {
        // lines of random values, so that compressed they still take room in proportion
        java.util.Random random = new java.util.Random(42);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            text.append("{\"name\":\"up\",\"timestamp\":1700000000000,\"value\":").append(random.nextLong()).append("}\n");
        }
        String all = text.toString();
        Path file = write("m.jsonl", all);
        Path gzip = writeGzip("m.jsonl.gz", all);
        // two gzip members one after the other read as one text
        Path members = dir.resolve("two.jsonl.gz");
        int half = all.indexOf('\n', all.length() / 2) + 1;
        Files.write(members, concat(gzipped(all.substring(0, half)), gzipped(all.substring(half))));

        try (ReplayReader reader = ReplayReader.open(file, ReplayOptions.detect())) {
            long lines = 0;
            long bytes = 0;
            while (lines < 10_000) {
                ReplayLine l = reader.next();
                lines++;
                bytes = all.indexOf('\n', (int) bytes) + 1;
                assertThat(l).isInstanceOf(Good.class);
            }
            // the buffers beneath hold more than a hundred kilobytes: none of it counts (one line may be read ahead)
            assertThat(reader.bytesRead()).isBetween(bytes, (long) all.indexOf('\n', (int) bytes) + 1);
        }
        for (Path compressed : List.of(gzip, members)) {
            try (ReplayReader reader = ReplayReader.open(compressed, ReplayOptions.detect())) {
                long size = Files.size(compressed);
                long last = 0;
                for (int i = 0; i < 20_000; i++) {
                    reader.next();
                    long now = reader.bytesRead();
                    assertThat(now).isGreaterThanOrEqualTo(last);
                    last = now;
                    if (i == 9_999) {
                        // half the lines: about half the compressed bytes (less the text inflated, not yet split)
                        assertThat(now).isBetween(size * 40 / 100, size * 60 / 100);
                    }
                }
                assertThat(reader.hasNext()).isFalse();
                assertThat(reader.bytesRead()).isEqualTo(size);
            }
        }
    }

    private static byte[] gzipped(String s) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
            gz.write(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void shouldCountTheBytesRead() throws IOException {
        Path file = write("m.jsonl", "{\"name\":\"up\",\"timestamp\":1700000000000,\"value\":1}\n".repeat(10_000));

        try (ReplayReader reader = ReplayReader.open(file, ReplayOptions.detect())) {
            assertThat(reader.bytesRead()).isLessThan(Files.size(file));
            reader.forEachRemaining(line -> { });
            assertThat(reader.bytesRead()).isEqualTo(Files.size(file));
        }
    }

    // ---- helpers

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    private Path writeGzip(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
        return file;
    }

    static List<ReplayLine> readAll(Path file, ReplayOptions options) throws IOException {
        try (ReplayReader reader = ReplayReader.open(file, options)) {
            List<ReplayLine> lines = new ArrayList<>();
            reader.forEachRemaining(lines::add);
            return lines;
        }
    }

    private static Metric m(String name, String instant, double value, String... labels) {
        return new Metric(name, Instant.parse(instant).toEpochMilli(), value, Labels.of(labels));
    }
}
