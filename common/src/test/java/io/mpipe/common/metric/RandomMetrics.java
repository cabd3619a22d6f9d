package io.mpipe.common.metric;

import java.util.Random;

/** Random metrics that exercise the awkward corners of the format. */
public final class RandomMetrics {
    private static final String[] AWKWARD = {
        "", "plain", "with \"quotes\"", "back\\slash", "new\nline", "tab\tand\rcr", "unicode ✓ ünï 日本語",
        "emoji 🚀", "{braces}=,\"", "\\\"", "trailing\\", "\u0001soh", "a=\"b\",c=\"d\""
    };
    private static final double[] SPECIAL = {
        Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, Double.MIN_VALUE,
        Double.MAX_VALUE, -Double.MAX_VALUE, 1e-300, 123456789012345.0, 0.1
    };

    private RandomMetrics() {
    }

    public static Metric next(Random r) {
        String name = randomName(r);
        int n = r.nextInt(4) == 0 ? 0 : r.nextInt(6);
        Labels.Builder b = Labels.builder();
        for (int i = 0; i < n; i++) {
            String key = "l" + i + (r.nextBoolean() ? "_x" : "");
            String value = r.nextInt(3) == 0 ? AWKWARD[r.nextInt(AWKWARD.length)] : randomString(r);
            b.put(key, value);
        }
        double v = r.nextInt(4) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(30) - 10);
        long ts = (long) (r.nextDouble() * (MetricRules.MAX_TIMESTAMP_MS - 1));
        return new Metric(name, ts, v, b.build());
    }

    private static String randomName(Random r) {
        String first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:";
        String rest = first + "0123456789";
        StringBuilder sb = new StringBuilder();
        sb.append(first.charAt(r.nextInt(first.length())));
        int len = r.nextInt(30);
        for (int i = 0; i < len; i++) {
            sb.append(rest.charAt(r.nextInt(rest.length())));
        }
        return sb.toString();
    }

    private static String randomString(Random r) {
        int len = r.nextInt(20);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) {
            int kind = r.nextInt(10);
            if (kind < 6) {
                sb.append((char) (' ' + r.nextInt(95)));
            } else if (kind < 8) {
                sb.append((char) (0xA0 + r.nextInt(0x2000)));
            } else if (kind < 9) {
                sb.appendCodePoint(0x1F300 + r.nextInt(200));
            } else {
                sb.append("\"\\\n".charAt(r.nextInt(3)));
            }
        }
        return sb.toString();
    }
}
