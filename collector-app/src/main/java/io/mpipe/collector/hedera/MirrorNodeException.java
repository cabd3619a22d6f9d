package io.mpipe.collector.hedera;

/**
 * A mirror-node request that did not give usable data: the server kept failing or refused
 * ({@link MirrorNodeHttpException}), or it answered with something of the wrong shape
 * ({@link BadResponseException}). Either way the message names the endpoint.
 */
public abstract sealed class MirrorNodeException extends Exception
        permits MirrorNodeHttpException, BadResponseException {
    private final String endpoint;

    MirrorNodeException(String endpoint, String message, Throwable cause) {
        super(endpoint + ": " + message, cause);
        this.endpoint = endpoint;
    }

    /** The path and query that was requested, such as {@code /api/v1/network/supply}. */
    public String endpoint() {
        return endpoint;
    }
}
