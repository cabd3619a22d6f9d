package io.mpipe.common.http;

import java.util.Map;
import java.util.Objects;

/**
 * A service's health: {@code UP} answers 200, {@code DOWN} 503, with details per component.
 */
public record Health(boolean up, Map<String, String> details) {
    public Health {
        details = Map.copyOf(Objects.requireNonNull(details, "details"));
    }

    public static Health up(Map<String, String> details) {
        return new Health(true, details);
    }

    public static Health down(Map<String, String> details) {
        return new Health(false, details);
    }

    /**
     * The JSON body: {@code {"status":"UP","details":{...}}}; a secret in a detail (an error that
     * quotes a URL or a property) is masked.
     */
    public Map<String, Object> body() {
        Map<String, String> masked = new java.util.LinkedHashMap<>();
        details.forEach((k, v) -> masked.put(k, io.mpipe.common.logging.SecretMasking.mask(v)));
        return Map.of("status", up ? "UP" : "DOWN", "details", masked);
    }
}
