package io.mpipe.testsupport.lab;

import java.util.ArrayList;
import java.util.List;

/** Every host on 127.0.0.1; a cut stops the host's processes (SIGSTOP) until healed (SIGCONT). */
final class LoopbackLab extends Lab {

    LoopbackLab(List<String> hosts) {
        super(hosts);
    }

    @Override
    public boolean isolated() {
        return false;
    }

    @Override
    public String address(String host) {
        checkHost(host);
        return "127.0.0.1";
    }

    @Override
    public String selfAddress() {
        return "127.0.0.1";
    }

    @Override
    public List<String> prefix(String host) {
        return List.of();
    }

    @Override
    public String cidr() {
        return "127.0.0.1/32";
    }

    @Override
    public void cut(String host) {
        signal(host, "STOP");
    }

    @Override
    public void heal(String host) {
        signal(host, "CONT");
    }

    private void signal(String host, String signal) {
        List<String> pids = new ArrayList<>();
        for (Process p : running(host)) {
            pids.add(Long.toString(p.pid()));
            p.descendants().forEach(d -> pids.add(Long.toString(d.pid())));
        }
        if (!pids.isEmpty()) {
            List<String> cmd = new ArrayList<>(List.of("kill", "-" + signal));
            cmd.addAll(pids);
            run(cmd);
        }
    }

    @Override
    public boolean loss(String host, int percent) {
        return false;
    }

    @Override
    public void clearLoss(String host) {
    }

    @Override
    public String describe() {
        return "loopback: every host on 127.0.0.1 (no network namespaces here); a cut stops the host's processes"
                + " (SIGSTOP), and packet loss cannot be made";
    }

    @Override
    void teardown() {
    }
}
