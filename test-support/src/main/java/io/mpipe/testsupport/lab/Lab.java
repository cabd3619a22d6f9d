package io.mpipe.testsupport.lab;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts of their own for fault tests: processes started "on" a named host, and a network between
 * the hosts that a test can cut and heal, or make lose packets.
 *
 * <p>Where the machine allows it (root, and {@code ip netns} from iproute2), each host is a network
 * namespace with one address, joined to the others by a veth pair to a bridge in this process's
 * namespace, which also has an address on it (the test itself reaches every host there). A cut
 * takes the host's link down: its packets go nowhere and nothing tells its peers, as when a cable
 * is pulled. Loss is dropped at random by nftables on the host. Elsewhere every host is
 * 127.0.0.1, a cut stops the host's processes ({@code SIGSTOP}; a peer's packets then go unanswered
 * as well) and loss cannot be made; {@link #isolated()} tells which, and {@link #describe()} says
 * it in words for the test's output.
 */
public abstract class Lab implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Lab.class);

    private final List<String> hosts;
    private final Map<String, List<Process>> processes = new LinkedHashMap<>();

    Lab(List<String> hosts) {
        this.hosts = List.copyOf(hosts);
    }

    /** A lab of the named hosts: namespaces where the machine allows, loopback otherwise. */
    public static Lab create(List<String> hosts) {
        if (NetnsLab.available()) {
            return NetnsLab.make(hosts);
        }
        log.warn("network namespaces are not available here (needs root and iproute2): the hosts share 127.0.0.1,"
                + " and a cut stops the host's processes instead");
        return new LoopbackLab(hosts);
    }

    public List<String> hosts() {
        return hosts;
    }

    /** True when each host has a network of its own (namespaces). */
    public abstract boolean isolated();

    /** The address the host's services listen on and are reached at. */
    public abstract String address(String host);

    /** The address at which the hosts reach this process (a relay the test runs, say). */
    public abstract String selfAddress();

    /** What a command started on {@code host} is prefixed with. */
    public abstract List<String> prefix(String host);

    /** The network the hosts are on, as PostgreSQL's pg_hba.conf takes it. */
    public abstract String cidr();

    /** Takes {@code host} off the network until {@link #heal}. */
    public abstract void cut(String host);

    /** Puts {@code host} back on the network. */
    public abstract void heal(String host);

    /**
     * Makes {@code host} drop {@code percent} % of the packets it sends and of those it receives, at
     * random; false when this lab cannot (loopback).
     */
    public abstract boolean loss(String host, int percent);

    /** Stops the loss {@link #loss} started. */
    public abstract void clearLoss(String host);

    /** How the hosts are made, in words. */
    public abstract String describe();

    /**
     * Starts a JVM on {@code host}: {@code mainClass} with {@code args}, this process's class path,
     * its output to {@code logFile}. It ends when this process does (a watcher in it sees to that).
     */
    public Process startJava(String host, List<String> jvmOptions, String mainClass, List<String> args, Path logFile) {
        List<String> cmd = new ArrayList<>(prefix(host));
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ParentWatch.class.getName());
        cmd.add(Long.toString(ProcessHandle.current().pid()));
        cmd.add(mainClass);
        cmd.addAll(args);
        return start(host, cmd, logFile);
    }

    /** Starts {@code command} on {@code host}, its output to {@code logFile}. */
    public synchronized Process start(String host, List<String> command, Path logFile) {
        checkHost(host);
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            processes.computeIfAbsent(host, h -> new ArrayList<>()).add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("starting " + command + " on " + host, e);
        }
    }

    /** The processes started on {@code host} that still run. */
    synchronized List<Process> running(String host) {
        List<Process> ps = processes.getOrDefault(host, List.of());
        ps.removeIf(p -> !p.isAlive());
        return List.copyOf(ps);
    }

    void checkHost(String host) {
        if (!hosts.contains(host)) {
            throw new IllegalArgumentException("no host " + host + " in this lab (" + hosts + ")");
        }
    }

    /** Waits until {@code logFile} holds {@code line}, or fails naming the file. */
    public static void awaitLine(Process p, Path logFile, String line, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (Files.exists(logFile) && new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8).contains(line)) {
                    return;
                }
            } catch (IOException e) {
                // read again
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("process exited with " + p.exitValue() + " before it printed '" + line
                        + "'; its log: " + logFile);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no '" + line + "' within " + timeout.toSeconds() + " s; log: " + logFile);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    /** Runs {@code command} to its end; fails with its output when it exits non-zero. */
    static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + ": no end within 30 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + ": exit " + p.exitValue() + ": " + out.strip());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Stops every process started in the lab (SIGTERM, then SIGKILL after 20 s), then takes the network down. */
    @Override
    public void close() {
        List<Process> all = new ArrayList<>();
        synchronized (this) {
            processes.values().forEach(all::addAll);
            processes.clear();
        }
        for (String h : hosts) {
            try {
                heal(h); // a stopped (SIGSTOP) process does not take SIGTERM
            } catch (RuntimeException e) {
                log.warn("healing {}: {}", h, e.toString());
            }
        }
        all.forEach(Process::destroy);
        for (Process p : all) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        teardown();
    }

    /** Removes what the lab made of the network. */
    abstract void teardown();
}
