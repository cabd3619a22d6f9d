package io.mpipe.testsupport;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves {@link TestKafka} and {@link TestDatabase} parameters against the servers shared by the
 * test JVM. A real broker and a real PostgreSQL always: no Docker needed, nothing skipped.
 */
public final class RealServersExtension implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        Class<?> type = p.getParameter().getType();
        return type == TestKafka.class || type == TestDatabase.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        Class<?> type = p.getParameter().getType();
        if (type == TestKafka.class) {
            return new TestKafka(SharedServers.kafka(e));
        }
        return new TestDatabase(SharedServers.postgres(e));
    }
}
