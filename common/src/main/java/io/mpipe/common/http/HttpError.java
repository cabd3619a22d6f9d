package io.mpipe.common.http;

/**
 * An error answer: {@code status} and a reason the client can act on. Thrown by a route, turned
 * into {@code {"error": reason}} with that status by {@link ServiceHttpServer}.
 */
public final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final Integer retryAfterSeconds;

    public HttpError(int status, String reason) {
        this(status, reason, null);
    }

    public HttpError(int status, String reason, Integer retryAfterSeconds) {
        super(reason);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static HttpError badRequest(String reason) {
        return new HttpError(400, reason);
    }

    /** 503 with {@code Retry-After}: the answer exists but not right now (a rebalance, a restore). */
    public static HttpError unavailable(String reason, int retryAfterSeconds) {
        return new HttpError(503, reason, retryAfterSeconds);
    }

    public int status() {
        return status;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
