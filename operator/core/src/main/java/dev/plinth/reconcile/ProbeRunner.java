package dev.plinth.reconcile;

import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.HealthCheck;
import dev.plinth.core.fleet.ProbeResult;
import dev.plinth.driver.HealthProber;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/**
 * Runs the health probes a rollout's gate waits on, for both hosts: in the background (a probe may wait for its
 * timeout), at most one at a time per node, and a node that failed only again after a pause, not in a tight loop.
 * The planner reads the latest results ({@link #results()}); each result calls the host back so it plans again.
 */
public final class ProbeRunner implements AutoCloseable {
    /** A failing node is probed again after this long. */
    static final Duration AGAIN = Duration.ofSeconds(1);

    private final HealthProber prober;
    private final Clock clock;
    private final Map<String, ProbeResult> results = new ConcurrentHashMap<>();
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "plinth-probe");
        t.setDaemon(true);
        return t;
    });

    public ProbeRunner(HealthProber prober, Clock clock) {
        this.prober = prober;
        this.clock = clock;
    }

    /** The latest result of each node probed. */
    public Map<String, ProbeResult> results() {
        return Map.copyOf(results);
    }

    /**
     * Probes each of {@code nodes} by {@code check} (none when null) at the host {@code check} names for it,
     * {@code hostName} giving the name its {@code {node}} stands for; {@code done} runs after each result.
     */
    public void probe(Set<String> nodes, HealthCheck check, UnaryOperator<String> hostName, Runnable done) {
        if (check == null) {
            return;
        }
        for (String node : nodes) {
            ProbeResult last = results.get(node);
            if (last != null && !last.ok() && last.at().isAfter(clock.instant().minus(AGAIN))) {
                continue;
            }
            if (!running.add(node)) {
                continue;
            }
            pool.execute(() -> {
                try {
                    String failure = prober.probe(check.hostOf(hostName.apply(node)), check);
                    results.put(node, new ProbeResult(failure == null, failure == null ? "ok" : failure,
                            clock.instant()));
                } catch (RuntimeException e) {
                    results.put(node, new ProbeResult(false, e.toString(), clock.instant()));
                } finally {
                    running.remove(node);
                    done.run();
                }
            });
        }
    }

    /** The health check of {@code role} ({@code cloud/role}) among {@code clouds}; null when there is no such role. */
    public static HealthCheck healthCheckOf(String role, Collection<Cloud> clouds) {
        for (Cloud c : clouds) {
            for (CloudRole r : c.spec().roles()) {
                if ((c.name() + "/" + r.name()).equals(role)) {
                    return r.healthCheck() == null ? HealthCheck.DEFAULT : r.healthCheck();
                }
            }
        }
        return null;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
