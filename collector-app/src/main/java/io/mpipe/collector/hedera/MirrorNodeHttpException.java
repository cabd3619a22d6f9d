package io.mpipe.collector.hedera;

/**
 * A request that failed for good: a 4xx other than 429 (not retried), or a 429, 5xx, timeout or
 * I/O error that was still there after the retries.
 */
public final class MirrorNodeHttpException extends MirrorNodeException {
    private final int status;
    private final int attempts;

    /**
     * @param status   the HTTP status of the last answer, or 0 when there was none (timeout, I/O error)
     * @param attempts how many times the request was sent
     * @param cause    the timeout or I/O error, or null when the server answered
     */
    MirrorNodeHttpException(String endpoint, int status, int attempts, Throwable cause) {
        super(endpoint, describe(status, attempts, cause), cause);
        this.status = status;
        this.attempts = attempts;
    }

    /** The HTTP status of the last answer, or 0 when there was none (timeout, I/O error). */
    public int status() {
        return status;
    }

    /** How many times the request was sent. */
    public int attempts() {
        return attempts;
    }

    private static String describe(int status, int attempts, Throwable cause) {
        String what;
        if (status > 0) {
            what = "HTTP " + status;
        } else if (cause instanceof java.net.http.HttpTimeoutException) {
            what = "timed out";
        } else {
            what = "I/O error (" + cause + ")";
        }
        return what + (attempts == 1 ? " (not retried)" : " after " + attempts + " attempts");
    }
}
