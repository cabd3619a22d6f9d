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

    /** What {@code .env.example} puts where a password goes: {@code change-me}, {@code change-me-too} ... */
    public static final String PLACEHOLDER_PREFIX = "change-me";

    /**
     * Refuses a placeholder password (from {@code .env.example}, never changed): a stack reachable
     * from elsewhere must not run on a password every reader of the repository knows.
     *
     * @throws ConfigException naming {@code what}
     */
    public static void checkNotPlaceholder(String what, String value) {
        if (value != null && value.toLowerCase(java.util.Locale.ROOT).startsWith(PLACEHOLDER_PREFIX)) {
            throw new ConfigException(what + ": is still the placeholder of .env.example (" + PLACEHOLDER_PREFIX
                    + "...); set a password of your own in .env");
        }
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
