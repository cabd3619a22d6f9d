package io.mpipe.collector.hedera;

/**
 * A mirror-node answer without the expected fields or types: not JSON, a missing object, a
 * balance that is not an integer. Parsers throw it with what is wrong; {@link MirrorNodeClient}
 * counts it and throws it again with the endpoint.
 */
public final class BadResponseException extends MirrorNodeException {
    private final String detail;

    /** From a parser, which does not know the endpoint. */
    BadResponseException(String detail) {
        this("(response)", detail);
    }

    BadResponseException(String endpoint, String detail) {
        super(endpoint, detail, null);
        this.detail = detail;
    }

    /** What is wrong with the response, without the endpoint. */
    public String detail() {
        return detail;
    }

    /** The same problem, located inside an enclosing element: {@code nodes[1].stake ...}. */
    BadResponseException within(String where) {
        return new BadResponseException(where + "." + detail);
    }
}
