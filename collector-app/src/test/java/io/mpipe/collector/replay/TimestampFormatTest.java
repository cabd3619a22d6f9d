package io.mpipe.collector.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TimestampFormatTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        // PostgreSQL timestamptz output, ISO DateStyle
        "2026-11-27 06:00:00.123+00    | 2026-11-27T06:00:00.123Z",
        "2026-11-27 06:00:00+00        | 2026-11-27T06:00:00Z",
        "2026-11-27 11:30:00+05:30     | 2026-11-27T06:00:00Z",
        "2026-11-27 01:00:00-05        | 2026-11-27T06:00:00Z",
        "2026-11-27 06:00:00.000456+00 | 2026-11-27T06:00:00Z",
        "2026-11-27 06:00:01.5+00      | 2026-11-27T06:00:01.500Z",
        "2026-11-27 06:53:28+00:53:28  | 2026-11-27T06:00:00Z",
        // ISO-8601
        "2026-11-27T06:00:00Z          | 2026-11-27T06:00:00Z",
        "2026-11-27t06:00:00.1z        | 2026-11-27T06:00:00.100Z",
        "2026-11-27T07:00:00+01:00     | 2026-11-27T06:00:00Z",
        "2026-11-27T07:00:00+0100      | 2026-11-27T06:00:00Z",
        "2026-11-27T06:00Z             | 2026-11-27T06:00:00Z",
        "2026-11-27T06:00:00.999999999Z| 2026-11-27T06:00:00.999Z",
        // no zone: UTC (the NAB files)
        "2014-02-14 14:27:00           | 2014-02-14T14:27:00Z",
        "2014-02-14T14:27:00           | 2014-02-14T14:27:00Z",
        "2014-02-14                    | 2014-02-14T00:00:00Z",
        // epoch: seconds below 1e11, milliseconds from there on
        "1392388020                    | 2014-02-14T14:27:00Z",
        "1392388020.5                  | 2014-02-14T14:27:00.500Z",
        "1392388020.1234               | 2014-02-14T14:27:00.123Z",
        "1.39238802e9                  | 2014-02-14T14:27:00Z",
        "1392388020000                 | 2014-02-14T14:27:00Z",
        "1392388020123                 | 2014-02-14T14:27:00.123Z",
        "1392388020123.9               | 2014-02-14T14:27:00.123Z",
        "99999999999                   | 5138-11-16T09:46:39Z",
        "100000000000                  | 1973-03-03T09:46:40Z",
        "0                             | 1970-01-01T00:00:00Z",
    })
    void shouldReadTheTimestampsExportsWrite(String text, String expected) {
        assertThat(TimestampFormat.parse(text)).isEqualTo(Instant.parse(expected).toEpochMilli());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "yesterday                  | timestamp: 'yesterday' is not ISO-8601 or epoch",
        "2014-02-30 00:00:00        | timestamp: '2014-02-30 00:00:00' is not a valid date",
        "2014-02-14 25:00:00        | timestamp: '2014-02-14 25:00:00' is not a valid time of day",
        "2014-02-14 14:27:00 UTC    | timestamp: '2014-02-14 14:27:00 UTC' is not ISO-8601 or epoch",
        "2014-02-14 14:27:00+5      | timestamp: '2014-02-14 14:27:00+5' is not ISO-8601 or epoch",
        "2014-02-14 14:27:00.       | timestamp: '2014-02-14 14:27:00.' is not ISO-8601 or epoch",
        "2014-02-14X14:27:00        | timestamp: '2014-02-14X14:27:00' is not ISO-8601 or epoch",
        "Fri Nov 27 06:00:00 2026   | timestamp: 'Fri Nov 27 06:00:00 2026' is not ISO-8601 or epoch",
        "0x10                       | timestamp: '0x10' is not ISO-8601 or epoch",
        "NaN                        | timestamp: 'NaN' is not ISO-8601 or epoch",
        "1e999                      | timestamp: '1e999' is too large for an epoch timestamp",
        "99999999999999999999       | timestamp: '99999999999999999999' is too large for an epoch timestamp",
    })
    void shouldNameWhatIsWrongWithABadTimestamp(String text, String reason) {
        assertThatThrownBy(() -> TimestampFormat.parse(text)).hasMessage(reason);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "1520879607.789 | 1520879607789",
        "1520879607     | 1520879607000",
        "1520879607789  | 1520879607789",
        "-1             | -1000",
    })
    void shouldTakeSmallEpochNumbersAsSecondsAndLargeOnesAsMilliseconds(String text, long millis) {
        assertThat(TimestampFormat.parseEpoch(text)).isEqualTo(millis);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource({"2014-02-14T14:27:00Z", "1.5.2", "''"})
    void shouldRejectNonNumbersAsEpoch(String text) {
        assertThatThrownBy(() -> TimestampFormat.parseEpoch(text)).hasMessageStartingWith("timestamp: ");
    }
}
