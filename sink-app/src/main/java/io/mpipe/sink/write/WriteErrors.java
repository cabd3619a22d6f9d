package io.mpipe.sink.write;

import io.mpipe.sink.dlq.DeadLetterPublisher.DeadLetterException;
import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Set;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Tells a bad record from a bad moment, by what failed. PostgreSQL's SQLSTATE class says which
 * (Appendix A of its manual); Kafka's clients mark what may pass with {@link RetriableException}.
 * Pure: no I/O.
 */
public final class WriteErrors {

    /** What an error says about the batch that met it. */
    public enum Kind {
        /**
         * A bad moment, or a problem of the database or the broker rather than of these rows: the
         * connection, a timeout, a shutdown, a serialization failure or deadlock, resources, a
         * lock not available, a read-only server, a table that went away (retention dropped a
         * partition), rights or the schema. The whole batch is tried again after a backoff; no
         * row of it is blamed.
         */
        MOMENT,
        /**
         * Caused by the data: a value PostgreSQL refuses (class 22), a constraint (23), a limit
         * (54), or a trigger that raised (P0, 27, 38, 39, 44). The rows that cause it are found
         * and dead-lettered; the rest are stored.
         */
        DATA,
        /**
         * Anything else. Treated as the data's when a smaller batch does not repeat it for most
         * rows: the rows that still fail alone are dead-lettered, provided some row of the batch
         * was stored; when every row fails alone it is the database's, and the batch waits.
         */
        UNKNOWN
    }

    /** SQLSTATE classes of a bad moment or of the database itself, not of the rows. */
    private static final Set<String> MOMENT_CLASSES = Set.of(
            "08", // connection exception
            "25", // invalid transaction state (25006: read-only, a failover in progress)
            "40", // transaction rollback: serialization failure, deadlock
            "42", // syntax or access rule: rights, a missing table (42P01, a partition dropped meanwhile)
            "53", // insufficient resources: disk full, out of memory, too many connections
            "55", // object not in prerequisite state: lock not available
            "57", // operator intervention: shutdown, query canceled (statement timeout)
            "58", // system error: I/O
            "F0", // configuration file error
            "HV", // foreign data wrapper
            "XX"); // internal error, corruption
    /** SQLSTATE classes caused by the data written. */
    private static final Set<String> DATA_CLASSES = Set.of(
            "22", // data exception
            "23", // integrity constraint violation
            "27", // triggered data change violation
            "38", // external routine exception
            "39", // external routine invocation exception
            "44", // WITH CHECK OPTION violation
            "54", // program limit exceeded (an index row too large)
            "P0"); // PL/pgSQL: RAISE in a trigger

    private WriteErrors() {
    }

    /** What {@code e} (or the first cause that says) tells about the batch. */
    public static Kind classify(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DeadLetterException || t instanceof RetriableException || t instanceof IOException
                    || t instanceof SQLTransientException || t instanceof SQLRecoverableException
                    || t instanceof InterruptedException) {
                return Kind.MOMENT;
            }
            if (t instanceof SQLException s) {
                String state = s.getSQLState();
                if (state == null || state.length() != 5) {
                    return Kind.MOMENT; // the driver's own: I/O, a closed connection
                }
                String cls = state.substring(0, 2);
                if (MOMENT_CLASSES.contains(cls)) {
                    return Kind.MOMENT;
                }
                if (DATA_CLASSES.contains(cls)) {
                    return Kind.DATA;
                }
                return Kind.UNKNOWN;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return Kind.UNKNOWN;
    }

    /** A short description for logs and dead letters: the SQLSTATE and PostgreSQL's message. */
    public static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                return "[" + s.getSQLState() + "] " + firstLine(s.getMessage());
            }
        }
        return e.getClass().getSimpleName() + ": " + firstLine(String.valueOf(e.getMessage()));
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
