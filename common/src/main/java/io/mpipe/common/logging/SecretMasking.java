package io.mpipe.common.logging;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Every secret the process has loaded, so that no log line, config dump or error message shows
 * one. Secrets register themselves when they are read from the config.
 */
public final class SecretMasking {
    public static final String MASK = "****";

    private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();
    /** Passwords embedded in URLs or property strings: {@code password=...}, {@code password="..."}. */
    private static final Pattern INLINE_PASSWORD =
            Pattern.compile("(?i)(password\\s*=\\s*)(\"[^\"]*\"|[^&;\\s\"]+)");

    private SecretMasking() {
    }

    /** Adds a secret; values shorter than 4 characters are masked only where named. */
    public static void register(String secret) {
        if (secret != null && secret.length() >= 4) {
            SECRETS.add(secret);
        }
    }

    /** {@code text} with every registered secret and inline password replaced by {@value #MASK}. */
    public static String mask(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = text;
        for (String s : SECRETS) {
            if (out.contains(s)) {
                out = out.replace(s, MASK);
            }
        }
        if (containsIgnoreCase(out, "password")) {
            out = INLINE_PASSWORD.matcher(out).replaceAll("$1" + MASK);
        }
        return out;
    }

    private static boolean containsIgnoreCase(String s, String what) {
        return s.toLowerCase(java.util.Locale.ROOT).contains(what);
    }
}
