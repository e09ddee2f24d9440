package dev.plinth.runtime;

import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.engine.NodeController;
import dev.plinth.reconcile.NodeEvents;
import dev.plinth.engine.NodeListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/** Prometheus metrics of the controller: nodes per state, transitions, operation and step durations. */
public final class Metrics implements NodeListener {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Gauges read the controller on each scrape. */
    public void watch(Supplier<NodeController> controller) {
        for (ProvisioningState s : ProvisioningState.values()) {
            Gauge.builder("plinth_nodes", () -> controller.get().records().stream()
                    .filter(r -> r.state() == s).count()).tag("state", s.name())
                    .description("nodes by provisioning state").register(registry);
        }
        Gauge.builder("plinth_nodes_drifted", () -> controller.get().records().stream()
                .filter(r -> r.drift().seen()).count())
                .description("provisioned nodes that differ from the desired state now").register(registry);
        Gauge.builder("plinth_work_queue_depth", () -> controller.get().queueDepth())
                .description("nodes waiting for a worker").register(registry);
    }

    public void revision(boolean applied) {
        revision(applied ? "applied" : "rejected");
    }

    /** @param result applied, rejected or held (for approval) */
    public void revision(String result) {
        Counter.builder("plinth_revisions_total").tag("result", result)
                .description("revisions seen, by validation result").register(registry).increment();
    }

    @Override
    public void changed(NodeRecord before, NodeRecord after) {
        if (after != null && NodeEvents.newDrift(before, after)) {
            Counter.builder("plinth_drift_total").tag("what", after.drift().what())
                    .tag("action", after.drift().action())
                    .description("drifts seen on provisioned nodes, by what drifted and what was done")
                    .register(registry).increment();
        }
        if (before == null || after == null || before.state() == after.state()) {
            return;
        }
        Counter.builder("plinth_node_transitions_total").tag("from", before.state().name())
                .tag("to", after.state().name()).register(registry).increment();
        boolean failed = after.state() == ProvisioningState.ERROR;
        boolean succeeded = (before.state() == ProvisioningState.REGISTERING
                && after.state() == ProvisioningState.AVAILABLE)
                || (before.state() == ProvisioningState.PROVISIONING && after.state() == ProvisioningState.PROVISIONED);
        if (failed || succeeded) {
            Timer.builder("plinth_operation_seconds").tag("operation", before.state().name())
                    .tag("result", failed ? "failed" : "succeeded")
                    .register(registry).record(Duration.ofMillis(after.operation().lastMillis()));
        }
        if (after.state() == ProvisioningState.PROVISIONED) {
            after.operation().timings().forEach((step, ms) -> Timer.builder("plinth_step_seconds").tag("step", step.name())
                    .register(registry).record(Duration.ofMillis(ms)));
        }
    }
}
