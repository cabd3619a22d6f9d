package io.mpipe.sink.write;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.sink.write.WriteErrors.Kind;
import java.io.IOException;
import java.sql.SQLException;
import java.util.Map;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class WriteErrorsTest {

    @Test
    void shouldTellABadRecordFromABadMomentBySqlState() {
        Map<String, Kind> table = Map.ofEntries(
                Map.entry("08006", Kind.MOMENT), // connection failure
                Map.entry("57P01", Kind.MOMENT), // admin shutdown
                Map.entry("57014", Kind.MOMENT), // statement timeout
                Map.entry("40001", Kind.MOMENT), // serialization failure
                Map.entry("40P01", Kind.MOMENT), // deadlock
                Map.entry("53100", Kind.MOMENT), // disk full
                Map.entry("55P03", Kind.MOMENT), // lock not available
                Map.entry("25006", Kind.MOMENT), // read-only transaction (a failover)
                Map.entry("42P01", Kind.MOMENT), // a partition dropped meanwhile
                Map.entry("42501", Kind.MOMENT), // no right: an operator's matter, not the rows'
                Map.entry("XX000", Kind.MOMENT),
                Map.entry("22P05", Kind.DATA), // untranslatable character
                Map.entry("22021", Kind.DATA), // invalid byte sequence
                Map.entry("23514", Kind.DATA), // check constraint
                Map.entry("23505", Kind.DATA), // a unique constraint of the user's
                Map.entry("54000", Kind.DATA), // index row too large
                Map.entry("P0001", Kind.DATA), // RAISE in a trigger
                Map.entry("0A000", Kind.UNKNOWN));
        table.forEach((state, kind) -> assertThat(WriteErrors.classify(new SQLException("x", state)))
                .as(state).isEqualTo(kind));
    }

    @Test
    void shouldCountDriverAndIoErrorsAsMomentsWhereverTheyAreInTheCauses() {
        assertThat(WriteErrors.classify(new SQLException("An I/O error occurred", (String) null))).isEqualTo(Kind.MOMENT);
        assertThat(WriteErrors.classify(new RuntimeException(new IOException("reset")))).isEqualTo(Kind.MOMENT);
        assertThat(WriteErrors.classify(new RuntimeException(new TimeoutException("broker")))).isEqualTo(Kind.MOMENT);
        assertThat(WriteErrors.classify(new IllegalStateException("a bug"))).isEqualTo(Kind.UNKNOWN);
    }

    @Test
    void shouldDescribeWithTheStateAndTheFirstLineOfPostgresMessage() {
        assertThat(WriteErrors.describe(new RuntimeException(new SQLException(
                "ERROR: new row violates check constraint \"c\"\n  Detail: Failing row contains (1)", "23514"))))
                .isEqualTo("[23514] ERROR: new row violates check constraint \"c\"");
    }
}
