package io.mpipe.testsupport.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each host a network namespace ({@code mpl<K>-<host>}) with the address {@code 10.77.K.(11+i)},
 * its veth's other end on the bridge {@code mplbr<K>}, which holds {@code 10.77.K.1} for this
 * process. {@code K} is the first subnet no other lab uses; a lab whose process died is removed by
 * the next one made.
 */
final class NetnsLab extends Lab {
    private static final Logger log = LoggerFactory.getLogger(NetnsLab.class);
    /** Which process made each lab still standing: {@code <K>.pid}. */
    private static final Path OWNERS = Path.of(System.getProperty("java.io.tmpdir"), "mpipe-lab");

    private final int k;
    private final Thread cleanupOnExit;
    private volatile boolean tornDown;

    private NetnsLab(List<String> hosts, int k) {
        super(hosts);
        this.k = k;
        this.cleanupOnExit = new Thread(this::teardown, "lab-teardown");
    }

    /** True when this process may make network namespaces (it tries one). */
    static boolean available() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return false;
        }
        String probe = "mplprobe-" + ProcessHandle.current().pid();
        try {
            run(List.of("ip", "netns", "add", probe));
            run(List.of("ip", "netns", "del", probe));
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    static NetnsLab make(List<String> hosts) {
        if (hosts.size() > 200) {
            throw new IllegalArgumentException("at most 200 hosts");
        }
        removeAbandoned();
        int k = freeSubnet();
        NetnsLab lab = new NetnsLab(hosts, k);
        try {
            Files.createDirectories(OWNERS);
            Files.writeString(OWNERS.resolve(k + ".pid"), Long.toString(ProcessHandle.current().pid()));
            Runtime.getRuntime().addShutdownHook(lab.cleanupOnExit);
            run(List.of("ip", "link", "add", lab.bridge(), "type", "bridge"));
            run(List.of("ip", "addr", "add", lab.selfAddress() + "/24", "dev", lab.bridge()));
            run(List.of("ip", "link", "set", lab.bridge(), "up"));
            for (int i = 0; i < hosts.size(); i++) {
                String ns = lab.ns(hosts.get(i));
                String veth = lab.veth(i);
                run(List.of("ip", "netns", "add", ns));
                run(List.of("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns));
                run(List.of("ip", "link", "set", veth, "master", lab.bridge()));
                run(List.of("ip", "link", "set", veth, "up"));
                run(List.of("ip", "-n", ns, "addr", "add", lab.address(hosts.get(i)) + "/24", "dev", "eth0"));
                run(List.of("ip", "-n", ns, "link", "set", "eth0", "up"));
                run(List.of("ip", "-n", ns, "link", "set", "lo", "up"));
            }
        } catch (IOException | RuntimeException e) {
            lab.teardown();
            throw new IllegalStateException("making the lab's network: " + e.getMessage(), e);
        }
        log.info("lab: {} hosts in network namespaces on 10.77.{}.0/24 ({})", hosts.size(), k, hosts);
        return lab;
    }

    /** Removes the namespaces and bridges of labs whose process is gone. */
    private static void removeAbandoned() {
        if (!Files.isDirectory(OWNERS)) {
            return;
        }
        try (var files = Files.list(OWNERS)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".pid")) {
                    continue;
                }
                long pid = Long.parseLong(Files.readString(f).strip());
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                int k = Integer.parseInt(name.substring(0, name.length() - 4));
                log.warn("lab: removing the network of a lab whose process ({}) is gone: 10.77.{}.0/24", pid, k);
                removeNetwork(k);
                Files.deleteIfExists(f);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("lab: looking for abandoned labs: {}", e.toString());
        }
    }

    private static void removeNetwork(int k) {
        String prefix = "mpl" + k + "-";
        for (String line : run(List.of("ip", "netns", "list")).split("\n")) {
            String ns = line.strip().split(" ")[0];
            if (ns.startsWith(prefix)) {
                tryRun(List.of("ip", "netns", "del", ns));
            }
        }
        // a namespace a process still runs in outlives its name, and with it the veth: remove this end
        for (String link : links()) {
            if (link.startsWith("mpl" + k + "v")) {
                tryRun(List.of("ip", "link", "del", link));
            }
        }
        tryRun(List.of("ip", "link", "del", "mplbr" + k));
    }

    /** Names of this namespace's links. */
    private static List<String> links() {
        List<String> names = new ArrayList<>();
        for (String line : run(List.of("ip", "-o", "link")).split("\n")) {
            String[] f = line.split(": ", 3);
            if (f.length >= 2) {
                names.add(f[1].split("@")[0]);
            }
        }
        return names;
    }

    private static int freeSubnet() {
        String addrs = run(List.of("ip", "-o", "addr"));
        List<String> links = links();
        for (int k = 1; k < 255; k++) {
            String veths = "mpl" + k + "v";
            String bridge = "mplbr" + k;
            if (!addrs.contains("10.77." + k + ".") && !Files.exists(OWNERS.resolve(k + ".pid"))
                    && links.stream().noneMatch(l -> l.startsWith(veths) || l.equals(bridge))) {
                return k;
            }
        }
        throw new IllegalStateException("no free 10.77.K.0/24 subnet for a lab");
    }

    private String bridge() {
        return "mplbr" + k;
    }

    private String ns(String host) {
        return "mpl" + k + "-" + host;
    }

    private String veth(int i) {
        return "mpl" + k + "v" + i;
    }

    @Override
    public boolean isolated() {
        return true;
    }

    @Override
    public String address(String host) {
        checkHost(host);
        return "10.77." + k + "." + (11 + hosts().indexOf(host));
    }

    @Override
    public String selfAddress() {
        return "10.77." + k + ".1";
    }

    @Override
    public List<String> prefix(String host) {
        checkHost(host);
        return List.of("ip", "netns", "exec", ns(host));
    }

    @Override
    public String cidr() {
        return "10.77." + k + ".0/24";
    }

    @Override
    public void cut(String host) {
        checkHost(host);
        run(List.of("ip", "link", "set", veth(hosts().indexOf(host)), "down"));
    }

    @Override
    public void heal(String host) {
        checkHost(host);
        run(List.of("ip", "link", "set", veth(hosts().indexOf(host)), "up"));
    }

    @Override
    public boolean loss(String host, int percent) {
        checkHost(host);
        String rules = "table inet lab {\n"
                + "  chain in { type filter hook input priority 0; policy accept; numgen random mod 100 < " + percent
                + " drop; }\n"
                + "  chain out { type filter hook output priority 0; policy accept; numgen random mod 100 < " + percent
                + " drop; }\n"
                + "}\n";
        try {
            Path f = Files.createTempFile("lab-loss-", ".nft");
            try {
                Files.writeString(f, rules);
                List<String> cmd = new ArrayList<>(prefix(host));
                cmd.addAll(List.of("nft", "-f", f.toString()));
                run(cmd);
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new IllegalStateException("writing the loss rules: " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("packet loss needs nftables (Debian's nftables package; .ci/run installs"
                    + " it): " + e.getMessage(), e);
        }
        return true;
    }

    @Override
    public void clearLoss(String host) {
        List<String> cmd = new ArrayList<>(prefix(host));
        cmd.addAll(List.of("nft", "delete", "table", "inet", "lab"));
        tryRun(cmd);
    }

    @Override
    public String describe() {
        return "network namespaces: " + hosts().size() + " hosts on 10.77." + k + ".0/24, joined by veth pairs to a"
                + " bridge; a cut takes the host's link down, loss is dropped at random by nftables on the host";
    }

    @Override
    synchronized void teardown() {
        if (tornDown) {
            return;
        }
        tornDown = true;
        removeNetwork(k);
        try {
            Files.deleteIfExists(OWNERS.resolve(k + ".pid"));
        } catch (IOException e) {
            log.warn("lab: {}", e.toString());
        }
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        } catch (IllegalStateException e) {
            // shutting down: this is the hook
        }
    }

    private static void tryRun(List<String> cmd) {
        try {
            run(cmd);
        } catch (RuntimeException e) {
            log.debug("{}: {}", cmd, e.toString());
        }
    }
}
