package io.mpipe.collector.replay;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReplayFormatTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "m.jsonl          | anything              | JSONL",
        "m.ndjson.gz      | anything              | JSONL",
        "M.JSON           | anything              | JSONL",
        "m.prom           | anything              | OPENMETRICS",
        "m.om.gz          | anything              | OPENMETRICS",
        "m.txt            | anything              | OPENMETRICS",
        "m.csv            | name,ts,value,labels  | CSV",
        "m.csv            | timestamp,value       | CSV_TS",
        "m.csv.gz         | 2014-02-14 14:27:00,1 | CSV_TS",
        "m.csv            | up,1,2,{}             | CSV",
        "json             | timestamp,value       | CSV_TS",
    })
    void shouldDetectTheFormatFromTheFileName(String fileName, String firstLine, ReplayFormat expected) {
        assertThat(ReplayFormat.detect(fileName, firstLine)).contains(expected);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "'{\"name\":\"up\",\"timestamp\":1,\"value\":1}'          | JSONL",
        "'  {'                                                    | JSONL",
        "# HELP up Whether the target is up.                      | OPENMETRICS",
        "# TYPE up gauge                                          | OPENMETRICS",
        "'up{job=\"api\"} 1 1520879607789'                        | OPENMETRICS",
        "up 1 1520879607.789                                      | OPENMETRICS",
        "up 1                                                     | OPENMETRICS",
        "'up +Inf 1520879607 # {trace_id=\"a\"} 1'                | OPENMETRICS",
        "name,ts,value,labels                                     | CSV",
        "name,timestamp,value,labels                              | CSV",
        "'\"name\",\"ts\",\"value\",\"labels\"'                   | CSV",
        "'up,2026-11-27 06:00:00+00,1,\"{\"\"a\"\": \"\"b\"\"}\"' | CSV",
        "timestamp,value                                          | CSV_TS",
        "2014-02-14 14:27:00,0.132                                | CSV_TS",
        "1392388020,0.132                                         | CSV_TS",
    })
    void shouldDetectTheFormatFromTheFirstLine(String line, ReplayFormat expected) {
        assertThat(ReplayFormat.fromFirstLine(line)).contains(expected);
        assertThat(ReplayFormat.detect("export", line)).contains(expected);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {"hello world how are you", "a;b;c", "1,2,3", "up=1", "' '"})
    void shouldNotGuessWhenTheFirstLineLooksLikeNoFormat(String line) {
        assertThat(ReplayFormat.fromFirstLine(line)).isEmpty();
        assertThat(ReplayFormat.detect("export.data", line)).isEmpty();
    }
}
