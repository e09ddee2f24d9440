package dev.plinth.engine;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.fleet.FleetPlanner;
import dev.plinth.core.fleet.FleetPlanner.FleetPlan;
import dev.plinth.core.fleet.RolloutPlanner;
import dev.plinth.core.fleet.RolloutState;
import dev.plinth.driver.HealthProber;
import dev.plinth.store.NodeEvent;
import dev.plinth.store.StateStore;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Standalone's fleet pass: plans every role's rollout ({@link FleetPlanner}, pure) from the desired state, the node
 * records, probe results and the stored rollout states; stores what changed, logs and records the role's events,
 * wakes the nodes whose image changed, and probes the members the planner waits on. The node workers read the
 * latest plan for the image each node is told to run. One thread plans: on a revision, on a node changing state,
 * on a probe result, and periodically (every second while a role rolls, so gate timeouts and pauses are seen; every
 * minute otherwise), at most every 200 ms.
 */
final class RolloutCoordinator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RolloutCoordinator.class);
    static final String EVENT = "Rollout";
    private static final Duration ACTIVE = Duration.ofSeconds(1);
    /** With nothing rolling no decision depends on time, only on changes, which signal: a rare safety pass. */
    private static final Duration IDLE = Duration.ofSeconds(60);
    /** Node changes come in storms during a mass deploy; one pass (tens of ms at 10,000 nodes) serves many. */
    private static final Duration MIN_GAP = Duration.ofMillis(200);
    /**
     * The gap after a pass is at least this many times the CPU the pass took: planning takes at most a fifth of
     * a core. At 10,000 nodes a pass is tens of ms, and converging nodes signalled one every 200 ms: half of the
     * controller's CPU went to planning while the nodes waited for workers.
     */
    static final int GAP_PER_PASS = 4;
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory
            .getThreadMXBean();

    private final StateStore store;
    private final Clock clock;
    private final Supplier<DesiredState> desired;
    private final Supplier<Map<String, NodeRecord>> records;
    private final Consumer<String> wake;
    private final dev.plinth.core.fleet.HealLimit healLimit;
    private final dev.plinth.reconcile.ProbeRunner probes;
    private final Object signal = new Object();
    private Map<String, RolloutState> states;
    private volatile FleetPlan plan = FleetPlan.empty();
    private boolean signalled;
    private volatile boolean running;
    private Thread thread;

    RolloutCoordinator(StateStore store, HealthProber prober, Clock clock, Supplier<DesiredState> desired,
            Supplier<Map<String, NodeRecord>> records, Consumer<String> wake, dev.plinth.core.fleet.HealLimit healLimit) {
        this.healLimit = healLimit;
        this.store = store;
        this.probes = new dev.plinth.reconcile.ProbeRunner(prober, clock);
        this.clock = clock;
        this.desired = desired;
        this.records = records;
        this.wake = wake;
        this.states = new HashMap<>(store.loadRollouts());
    }

    FleetPlan plan() {
        return plan;
    }

    void start() {
        running = true;
        thread = new Thread(this::loop, "plinth-rollout");
        thread.setDaemon(true);
        thread.start();
    }

    /** Something the plan depends on changed: plan again soon. */
    void signal() {
        synchronized (signal) {
            signalled = true;
            signal.notifyAll();
        }
    }

    private void loop() {
        while (running) {
            long started = CPU.getCurrentThreadCpuTime();
            try {
                replan();
            } catch (RuntimeException e) {
                LOG.error("rollout planning failed: {}", e.toString(), e);
            }
            // the pass's CPU, not its wall time: a loaded machine must not slow the rollouts down further
            long gapMillis = gapAfter(Duration.ofNanos(Math.max(0, CPU.getCurrentThreadCpuTime() - started)))
                    .toMillis();
            boolean active = plan.states().values().stream().anyMatch(s -> s.phase() == RolloutState.Phase.ROLLING
                    || s.phase() == RolloutState.Phase.ROLLING_BACK);
            try {
                Thread.sleep(gapMillis);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (signal) {
                if (!signalled && running) {
                    try {
                        signal.wait((active ? ACTIVE : IDLE).toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                signalled = false;
            }
        }
    }

    /** How long the planner rests after a pass that took {@code pass} of CPU: see {@link #GAP_PER_PASS}. */
    static Duration gapAfter(Duration pass) {
        Duration scaled = pass.multipliedBy(GAP_PER_PASS);
        return scaled.compareTo(MIN_GAP) > 0 ? scaled : MIN_GAP;
    }

    /** One fleet pass. Synchronized: a revision put in force plans at once, on the caller's thread. */
    synchronized FleetPlan replan() {
        DesiredState d = desired.get();
        FleetPlan previous = plan;
        FleetPlan next = FleetPlanner.plan(d, records.get(), probes.results(), states, clock.instant(),
                healLimit);
        for (Map.Entry<String, RolloutState> e : next.states().entrySet()) {
            if (!e.getValue().equals(states.get(e.getKey()))) {
                store.saveRollout(e.getValue());
            }
        }
        for (String gone : new HashSet<>(states.keySet())) {
            if (!next.states().containsKey(gone)) {
                store.deleteRollout(gone);
            }
        }
        states = new HashMap<>(next.states());
        plan = next;
        for (Map.Entry<String, RolloutPlanner.Decision> e : next.roles().entrySet()) {
            for (String event : e.getValue().events()) {
                LOG.info("role {}: {}", e.getKey(), event);
                try {
                    store.append(new NodeEvent(clock.instant(), e.getKey(), EVENT, event));
                } catch (RuntimeException ex) {
                    LOG.warn("role {}: event not stored: {}", e.getKey(), ex.toString()); // history is best-effort
                }
            }
            probes.probe(e.getValue().toProbe(), dev.plinth.reconcile.ProbeRunner.healthCheckOf(e.getKey(),
                    d.clouds().values()), node -> node, this::signal);
        }
        Set<String> changed = new HashSet<>(d.nodes().keySet());
        // a node told another image, or whose move or drift heal is held or let go, decides again now
        changed.removeIf(n -> Objects.equals(previous.images().get(n), next.images().get(n))
                && Objects.equals(previous.gateFor(n), next.gateFor(n)));
        changed.forEach(wake);
        return next;
    }

    /** The image the plan tells {@code node} to run (for waking the users of an image). */
    DiskImage imageOf(BareMetalNode node) {
        return plan.images().get(node.name());
    }

    @Override
    public void close() {
        running = false;
        signal();
        probes.close();
        if (thread != null) {
            thread.interrupt();
        }
    }
}
