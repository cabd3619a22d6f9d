package io.mpipe.cli;

import io.mpipe.common.config.ConfigException;
import io.mpipe.common.logging.SecretMasking;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/pipeline}: the one entry point. Exit codes: 0 ok, 2 usage or configuration error,
 * 1 runtime failure.
 */
@Command(name = "pipeline",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Kafka metrics pipeline: collect metrics, store them in PostgreSQL exactly once, serve them"
                + " to Prometheus.",
        subcommands = {
            LocalCommand.class,
            CollectorCommand.class,
            SinkCommand.class,
            ExporterCommand.class,
            ReplayCommand.class,
            LagCommand.class,
            QueryCommand.class,
            AccountCommand.class,
            MigrateCommand.class,
            HashPasswordCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Pipeline implements Runnable {
    public static final int OK = 0;
    public static final int RUNTIME_FAILURE = 1;
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The command line with the project's exit codes and error reporting. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Pipeline());
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (e instanceof ConfigException ce) {
                err.println(SecretMasking.mask(ce.getMessage()));
                return USAGE;
            }
            if (e instanceof CommandLine.ParameterException pe) {
                err.println(pe.getMessage());
                return USAGE;
            }
            err.println("error: " + SecretMasking.mask(String.valueOf(e.getMessage())));
            if (System.getenv("PIPELINE_DEBUG") != null) {
                java.io.StringWriter trace = new java.io.StringWriter();
                e.printStackTrace(new PrintWriter(trace));
                err.print(SecretMasking.mask(trace.toString())); // a message deep in the causes may quote a secret
            }
            return RUNTIME_FAILURE;
        });
        return cl;
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.exit(code);
    }
}
