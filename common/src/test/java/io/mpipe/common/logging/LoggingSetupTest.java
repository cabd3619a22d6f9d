package io.mpipe.common.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class LoggingSetupTest {

    private static LoggingEvent event(String message, Object arg) {
        LoggerContext ctx = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        LoggingEvent e = new LoggingEvent("fqcn", ctx.getLogger("io.mpipe.test"), Level.WARN, message, null,
                new Object[] {arg});
        return e;
    }

    @Test
    void shouldMaskRegisteredSecretsInTextLines() {
        SecretMasking.register("pa55word-xyz");
        MaskingPatternLayout layout = new MaskingPatternLayout();
        layout.setContext(new LoggerContext());
        layout.setPattern(LoggingSetup.TEXT_PATTERN);
        layout.start();
        String line = layout.doLayout(event("cannot connect with {}", "pa55word-xyz"));
        assertThat(line).contains("cannot connect with ****").doesNotContain("pa55word-xyz");
    }

    @Test
    void shouldWriteOneValidJsonObjectPerLine() throws Exception {
        SecretMasking.register("other-secret-123");
        JsonLineLayout layout = new JsonLineLayout();
        String line = layout.doLayout(event("quote \" newline \n secret {}", "other-secret-123"));
        assertThat(line).endsWith("}\n").doesNotContain("other-secret-123");
        assertThat(line.trim()).doesNotContain("\n");
        JsonNode n = new ObjectMapper().readTree(line);
        assertThat(n.get("level").asText()).isEqualTo("WARN");
        assertThat(n.get("logger").asText()).isEqualTo("io.mpipe.test");
        assertThat(n.get("message").asText()).isEqualTo("quote \" newline \n secret ****");
    }
}
