package io.mpipe.collector.replay;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CsvSplitterTest {

    @Test
    void shouldSplitPlainAndQuotedFields() {
        assertThat(CsvSplitter.splitLine("a,b,,d")).containsExactly("a", "b", "", "d");
        assertThat(CsvSplitter.splitLine("a,")).containsExactly("a", "");
        assertThat(CsvSplitter.splitLine("\"a,b\",\"\",\"say \"\"hi\"\"\"")).containsExactly("a,b", "", "say \"hi\"");
        assertThat(CsvSplitter.splitLine("\"{\"\"k\"\": \"\"v \\\"\"q\\\"\"\"\"}\""))
                .containsExactly("{\"k\": \"v \\\"q\\\"\"}");
    }

    @Test
    void shouldTakeAQuoteInsideAnUnquotedFieldAsIs() {
        assertThat(CsvSplitter.splitLine("5\" pipe,1")).containsExactly("5\" pipe", "1");
    }

    @Test
    void shouldContinueAnOpenQuotedFieldOnTheNextLine() {
        CsvSplitter s = new CsvSplitter();

        assertThat(s.feed("\"two")).isFalse();
        assertThat(s.inQuotedField()).isTrue();
        assertThat(s.feed("")).isFalse();
        assertThat(s.feed("lines\",x")).isTrue();

        assertThat(s.error()).isNull();
        assertThat(s.fields()).containsExactly("two\n\nlines", "x");
        assertThat(s.chars()).isEqualTo(15);
    }

    @Test
    void shouldReportACharacterAfterAClosingQuoteWithItsColumn() {
        CsvSplitter s = new CsvSplitter();

        assertThat(s.feed("a,\"b\"c,d")).isTrue();

        assertThat(s.error()).isEqualTo("unexpected 'c' after a closing quote at column 6");
        assertThat(CsvSplitter.splitLine("a,\"b\"c,d")).isNull();
    }

    @Test
    void shouldStartAfreshAfterReset() {
        CsvSplitter s = new CsvSplitter();
        s.feed("\"open");
        s.reset();

        assertThat(s.feed("a,b")).isTrue();
        assertThat(s.fields()).containsExactly("a", "b");
    }
}
