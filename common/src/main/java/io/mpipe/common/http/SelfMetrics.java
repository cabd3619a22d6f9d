package io.mpipe.common.http;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.hotspot.DefaultExports;

/** A fresh registry for one service, with the JVM's own metrics (memory, GC, threads) in it. */
public final class SelfMetrics {

    private SelfMetrics() {
    }

    public static CollectorRegistry newRegistryWithJvmMetrics() {
        CollectorRegistry registry = new CollectorRegistry(true);
        DefaultExports.register(registry);
        return registry;
    }
}
