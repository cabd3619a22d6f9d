package io.mpipe.common.config;

import io.mpipe.common.logging.SecretMasking;
import java.util.Objects;

/**
 * A secret value (a password, a SASL JAAS line). Its {@link #toString()} is masked, and creating
 * one registers the value with {@link SecretMasking} so it is masked in every log line too.
 */
public final class Secret {
    public static final Secret NONE = new Secret("");

    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    public static Secret of(String value) {
        Objects.requireNonNull(value, "value");
        if (value.isEmpty()) {
            return NONE;
        }
        SecretMasking.register(value);
        return new Secret(value);
    }

    /** The clear value, for handing to a driver or client. Never log it. */
    public String reveal() {
        return value;
    }

    public boolean isEmpty() {
        return value.isEmpty();
    }

    @Override
    public String toString() {
        return value.isEmpty() ? "" : SecretMasking.MASK;
    }
}
