package io.mpipe.cli;

import io.mpipe.bench.BenchOutput;
import io.mpipe.bench.serde.MetricSerdeBenchmark;
import io.mpipe.bench.sink.SinkBench;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks that print measured numbers. Each starts its own in-process Kafka broker and"
                + " embedded PostgreSQL unless told otherwise.",
        subcommands = {BenchCommand.E2e.class, BenchCommand.Sink.class, BenchCommand.Replay.class,
            BenchCommand.Exporter.class, BenchCommand.RemoteWrite.class, BenchCommand.Serde.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Where a benchmark runs and where its JSON goes: the options every benchmark has. */
    static final class Target {
        @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
                description = "Use this Kafka instead of an in-process broker.")
        String bootstrap;

        @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
        Path json;
    }

    @Command(name = "sink", mixinStandardHelpOptions = true,
            description = {"Sink rows/s (Kafka to PostgreSQL, exactly once, de-duplication on) beside raw binary COPY"
                + " and batched INSERT of the same rows into the same schema, in one run."})
    static final class Sink implements Callable<Integer> {
        @Option(names = "--rows", defaultValue = "2000000", description = "Rows to load in each phase (default ${DEFAULT-VALUE}).")
        int rows;

        @Option(names = "--series", defaultValue = "10000", description = "Distinct series (default ${DEFAULT-VALUE}).")
        int series;

        @Option(names = "--batch-rows", defaultValue = "20000",
                description = "Rows per transaction, for the sink and raw COPY alike (default ${DEFAULT-VALUE}).")
        int batchRows;

        @picocli.CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            if (rows < 1_000 || series < 1 || series > rows || batchRows < 1 || rows < 2 * batchRows) {
                // the sink's rate is timed from its first commit to its last: it needs two batches at least
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--rows must be >= 1000 and at least twice --batch-rows, --series between 1 and --rows,"
                                + " --batch-rows positive");
            }
            SinkBench.run(new SinkBench.Options(rows, series, batchRows, target.bootstrap, target.json));
            return Pipeline.OK;
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = {"How fast replay sends a JSON-lines file, beside the Kafka producer alone on the same"
                + " records.",
                "A warm-up of each, then three alternating rounds; the medians are reported."})
    static final class Replay implements Callable<Integer> {
        @Option(names = "--records", defaultValue = "1000000", description = "Records (default ${DEFAULT-VALUE}).")
        int records;

        @Option(names = "--series", defaultValue = "10000", description = "Distinct series (default ${DEFAULT-VALUE}).")
        int series;

        @picocli.CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            if (records < 1_000 || series < 1 || series > records) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--records must be >= 1000 and --series between 1 and --records");
            }
            io.mpipe.bench.replay.ReplayBench.run(new io.mpipe.bench.replay.ReplayBench.Options(records, series,
                    target.bootstrap, target.json));
            return Pipeline.OK;
        }
    }

    @Command(name = "remote-write", mixinStandardHelpOptions = true,
            description = {"Prometheus remote write into the collector: samples/s acknowledged (answered 204 once the"
                + " broker has every record) from concurrent senders, beside the producer alone on the same metrics,"
                + " and the requests' latency."})
    static final class RemoteWrite implements Callable<Integer> {
        @Option(names = "--samples", defaultValue = "2000000", description = "Samples sent (default ${DEFAULT-VALUE}).")
        int samples;

        @Option(names = "--series", defaultValue = "10000", description = "Distinct series (default ${DEFAULT-VALUE}).")
        int series;

        @Option(names = "--samples-per-request", defaultValue = "2000",
                description = "Samples a request, as Prometheus's max_samples_per_send (default ${DEFAULT-VALUE}).")
        int perRequest;

        @Option(names = "--senders", defaultValue = "8",
                description = "Concurrent senders, as Prometheus's shards (default ${DEFAULT-VALUE}).")
        int senders;

        @picocli.CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            if (samples < 10_000 || series < 1 || series > samples || perRequest < 1 || perRequest > 100_000
                    || senders < 1 || senders > 64) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--samples must be >= 10000, --series between 1 and --samples, --samples-per-request between 1"
                                + " and 100000, --senders between 1 and 64");
            }
            io.mpipe.bench.remotewrite.RemoteWriteBench.run(new io.mpipe.bench.remotewrite.RemoteWriteBench.Options(
                    samples, series, perRequest, senders, target.bootstrap, target.json));
            return Pipeline.OK;
        }
    }

    @Command(name = "exporter", mixinStandardHelpOptions = true,
            description = {"Records/s into the store, /metrics render time at 100,000 series, query latency for cached"
                + " series, and LRU versus FIFO hit rates on a Zipf(1.1) query stream."})
    static final class Exporter implements Callable<Integer> {
        @Option(names = "--records", defaultValue = "1000000",
                description = "Records timed (default ${DEFAULT-VALUE}), after 300,000 that warm up.")
        int records;

        @Option(names = "--queries", defaultValue = "2000",
                description = "Queries timed (default ${DEFAULT-VALUE}), after as many (at least 2,000) that warm up.")
        int queries;

        @Option(names = "--stream-threads", defaultValue = "1",
                description = "Kafka Streams threads of the instance (default ${DEFAULT-VALUE}).")
        int streamThreads;

        @picocli.CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            if (records < 100_000 || queries < 1) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--records must be >= 100000 (100,000 series) and --queries positive");
            }
            io.mpipe.bench.exporter.ExporterBench.run(new io.mpipe.bench.exporter.ExporterBench.Options(records, queries,
                    streamThreads, target.bootstrap, target.json));
            return Pipeline.OK;
        }
    }

    @Command(name = "e2e", mixinStandardHelpOptions = true,
            description = {"The whole pipeline: latency from produce to committed row and to visible in the query API"
                + " at a fixed rate, the highest rate it keeps up with, and the machine's limits (producer, consumer,"
                + " raw COPY) in the same run."})
    static final class E2e implements Callable<Integer> {
        @Option(names = "--duration", defaultValue = "20s", description = "How long the latency phase runs"
                + " (default ${DEFAULT-VALUE}).")
        String duration;

        @Option(names = "--rate", defaultValue = "10000", description = "Metrics a second in the latency phase"
                + " (default ${DEFAULT-VALUE}).")
        double rate;

        @Option(names = "--series", defaultValue = "10000", description = "Distinct series (default ${DEFAULT-VALUE}).")
        int series;

        @Option(names = "--compression", defaultValue = "lz4", paramLabel = "none|lz4|zstd|snappy|gzip",
                description = "The collector's producer compression (default ${DEFAULT-VALUE}, as the collector's).")
        String compression;

        @Option(names = "--brokers", defaultValue = "1", paramLabel = "N", description = {"Also run the pipeline"
                + " against a cluster of N Kafka nodes, a process each, topics replicated 3 times with"
                + " min.insync.replicas 2, and report it beside the one broker's figures (default ${DEFAULT-VALUE}:"
                + " one broker only; 3 is a cluster that survives a node's loss)."})
        int brokers;

        @picocli.CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            if (brokers < 1 || brokers > 9) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--brokers: " + brokers
                        + " is out of range [1, 9]");
            }
            if (brokers > 1 && target.bootstrap != null) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--brokers: starts its own cluster; it cannot be used with --bootstrap-servers");
            }
            String[] types = io.mpipe.collector.CollectorConfig.COMPRESSION_TYPES;
            if (!java.util.List.of(types).contains(compression)) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--compression: '"
                        + compression + "' is not one of " + String.join(", ", types));
            }
            java.time.Duration d;
            try {
                d = io.mpipe.common.config.Durations.parse(duration);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--duration: "
                        + e.getMessage());
            }
            if (rate <= 0 || series < 10 || d.toSeconds() < 1) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--rate must be positive, --series at least 10, --duration at least 1s");
            }
            io.mpipe.bench.e2e.E2eBench.run(new io.mpipe.bench.e2e.E2eBench.Options(d, rate, series, target.bootstrap,
                    target.json, compression, brokers));
            return Pipeline.OK;
        }
    }

    @Command(name = "serde", mixinStandardHelpOptions = true,
            description = "JMH: wire-format encode, decode and round trip, and the consumers' decoder over 64 and"
                    + " over 10,000 series; records/s on one thread.")
    static final class Serde implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            Options opts = new OptionsBuilder().include(MetricSerdeBenchmark.class.getName()).build();
            BenchOutput.progress("record size: " + MetricSerdeBenchmark.sampleRecordBytes() + " bytes of JSON");
            for (RunResult r : new Runner(opts).run()) {
                System.out.printf("%-28s %,14.0f records/s (± %,.0f)%n",
                        r.getParams().getBenchmark().replaceAll(".*\\.", ""),
                        r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError());
            }
            return Pipeline.OK;
        }
    }
}
