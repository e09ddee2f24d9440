package dev.plinth.engine;

import dev.plinth.core.fleet.FleetPlanner;
import dev.plinth.driver.HealthProber;
import dev.plinth.driver.probe.SocketHealthProber;

import dev.plinth.api.DesiredState;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.NodeWaker;
import dev.plinth.reconcile.ImageCatalog;
import dev.plinth.reconcile.NodeEvents;
import dev.plinth.reconcile.NodeReconciler;
import dev.plinth.reconcile.Pass;
import dev.plinth.reconcile.RecordWriter;
import dev.plinth.secrets.SecretStore;
import dev.plinth.store.NodeEvent;
import dev.plinth.store.StoreConflictException;
import dev.plinth.store.Versioned;
import dev.plinth.store.StateStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Standalone mode's host of the reconcile pass: a pool of workers takes node names from a {@link WorkQueue} and
 * runs one {@link NodeReconciler} pass per turn. The queue guarantees one worker per node; the pass persists every
 * record through this host's writer (record and event in one SQLite transaction) before it decides again, which is
 * what makes a crash resumable.
 */
public final class NodeController implements NodeWaker, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeController.class);

    private final NodeReconciler reconciler;
    private final ImageCatalog images;
    private final StateStore store;
    private final Clock clock;
    private final EngineConfig config;
    private final NodeListener listener;
    private final WorkQueue queue = new WorkQueue();
    private final Map<String, Versioned<NodeRecord>> records = new ConcurrentHashMap<>();
    private final RecordWriter writer = new Writer();
    private final List<Thread> workers = new ArrayList<>();
    private final RolloutCoordinator rollouts;
    private volatile DesiredState desired = DesiredState.empty("none");
    private volatile boolean running;

    public NodeController(NodeLifecycle lifecycle, Drivers drivers, SecretStore secrets, ImageCatalog images,
            StateStore store, Clock clock, EngineConfig config, NodeListener listener) {
        this(lifecycle, drivers, secrets, images, store, clock, config, listener,
                new SocketHealthProber(Duration.ofSeconds(2)));
    }

    /** @param prober makes the TCP and HTTP probes of the roles' health checks */
    public NodeController(NodeLifecycle lifecycle, Drivers drivers, SecretStore secrets, ImageCatalog images,
            StateStore store, Clock clock, EngineConfig config, NodeListener listener, HealthProber prober) {
        this.rollouts = new RolloutCoordinator(store, prober, clock, () -> desired, this::recordsByName,
                queue::add, config.healLimit());
        this.reconciler = new NodeReconciler(lifecycle, drivers, secrets, config.maxStepsPerTurn(), config.maxWait());
        this.images = images;
        this.store = store;
        this.clock = clock;
        this.config = config;
        this.listener = listener;
        records.putAll(store.loadNodes());
    }

    /** Starts the workers. Call {@link #setDesired} first on a restart, or removed-node logic sees nothing desired. */
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        rollouts.start();
        for (int i = 0; i < config.workers(); i++) {
            Thread t = new Thread(this::work, "plinth-worker-" + i);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
        records.keySet().forEach(queue::add);
    }

    /** Puts a validated revision in force and looks at every node it touches. */
    public void setDesired(DesiredState state) {
        DesiredState previous = desired;
        desired = state;
        rollouts.replan(); // before any worker reads it: which image each role member may run now
        Set<String> touched = new HashSet<>(state.nodes().keySet());
        touched.addAll(records.keySet());
        touched.addAll(previous.nodes().keySet());
        touched.forEach(queue::add);
    }

    public DesiredState desired() {
        return desired;
    }

    /** The latest fleet plan: each node's image, each role's rollout. */
    public FleetPlanner.FleetPlan plan() {
        return rollouts.plan();
    }

    private Map<String, NodeRecord> recordsByName() {
        Map<String, NodeRecord> out = new HashMap<>();
        records.forEach((name, v) -> out.put(name, v.value()));
        return out;
    }

    @Override
    public void wake(String nodeName) {
        queue.add(nodeName);
    }

    /** Wakes every node that uses this image (its availability changed). */
    public void wakeUsersOf(String imageName) {
        FleetPlanner.FleetPlan p = rollouts.plan();
        desired.nodes().keySet().stream()
                .filter(n -> p.imageFor(n).map(i -> i.name().equals(imageName)).orElse(false))
                .forEach(queue::add);
    }

    /** When an inspection of each node was last asked for on demand (in memory: a restart forgets unserved ones). */
    private final Map<String, java.time.Instant> inspections = new ConcurrentHashMap<>();
    /**
     * When an inspection boot of each node was last accepted (in memory: a restart forgets one not begun; one begun
     * is in the node's record, INSPECTING, and resumes).
     */
    private final Map<String, java.time.Instant> inspectionBoots = new ConcurrentHashMap<>();

    /**
     * Asks for the node's inspection on demand: its BMC inventory is read again at its next pass, at once when it
     * is idle, after its operation otherwise. Empty when there is no such node.
     */
    public Optional<java.time.Instant> requestInspection(String name) {
        return requestInspection(name, false);
    }

    /**
     * The same; with {@code boot}, an inspection boot too (the deploy ramdisk reports the hardware): the caller
     * checked that the node may take one ({@code NodeLifecycle.inspectBootRefusal}).
     */
    public Optional<java.time.Instant> requestInspection(String name, boolean boot) {
        if (!records.containsKey(name)) {
            return Optional.empty();
        }
        java.time.Instant at = clock.instant();
        inspections.put(name, at);
        if (boot) {
            inspectionBoots.put(name, at);
        }
        queue.add(name);
        return Optional.of(at);
    }

    public Optional<NodeRecord> record(String name) {
        return Optional.ofNullable(records.get(name)).map(Versioned::value);
    }

    public Collection<NodeRecord> records() {
        return records.values().stream().map(Versioned::value).toList();
    }

    public int queueDepth() {
        return queue.depth();
    }

    private void work() {
        while (running) {
            String name;
            try {
                name = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (name == null) {
                return;
            }
            try {
                reconcile(name);
            } catch (StoreConflictException e) {
                // someone else wrote this node (another controller on the same database?): start from what is stored
                LOG.warn("node {}: {}; re-reading it", name, e.getMessage());
                store.loadNode(name).ifPresentOrElse(v -> records.put(name, v), () -> records.remove(name));
                queue.addAfter(name, Duration.ofSeconds(1));
            } catch (RuntimeException e) {
                // a store failure or a bug: retry this node later rather than lose it
                LOG.error("reconcile of node {} failed: {}", name, e.toString(), e);
                queue.addAfter(name, Duration.ofSeconds(10));
            } finally {
                queue.done(name);
            }
        }
    }

    private void reconcile(String name) {
        if (!running) {
            return;
        }
        Versioned<NodeRecord> current = records.get(name);
        Pass pass = reconciler.reconcile(NodeReconciler.inputFor(desired, name, rollouts.plan(), images)
                        .withInspectRequested(inspections.get(name)).withInspectBoot(inspectionBoots.get(name)),
                current == null ? null : current.value(), clock, writer);
        if (pass.next() instanceof Pass.Next.After a) {
            queue.addAfter(name, a.delay());
        } else if (pass.next() instanceof Pass.Next.Soon) {
            queue.add(name); // more to do: yield the worker to other nodes, come back soon
        }
    }

    /**
     * A drift check that found everything as it was changes only when the node was last read: kept in memory and
     * stored at most this often, not on every check (10,000 settled nodes were 10,000 SQLite transactions a minute,
     * most of the controller's idle CPU). A crash loses only that time: the restarted controller checks the node at
     * once.
     */
    static final Duration STORE_UNCHANGED_CHECKS_EVERY = Duration.ofMinutes(15);

    /** When each node's record was last stored (its updatedAt then): see {@link #STORE_UNCHANGED_CHECKS_EVERY}. */
    private final Map<String, java.time.Instant> storedAt = new ConcurrentHashMap<>();

    /** Whether {@code after} differs from {@code before} only by when the BMC was last read (and so updatedAt). */
    static boolean onlyReadAgain(NodeRecord before, NodeRecord after) {
        if (before == null || before.power().checkedAt() == null) {
            return false;
        }
        NodeRecord same = after.toBuilder().checkedAt(before.power().checkedAt()).updatedAt(before.updatedAt()).build();
        return same.equals(before);
    }

    /** Record and event in one transaction; the in-memory copy follows what is stored. */
    private final class Writer implements RecordWriter {
        @Override
        public void write(NodeRecord before, NodeRecord after, NodeEvent event, Write kind) {
            Versioned<NodeRecord> current = records.get(after.name());
            java.time.Instant stored = storedAt.get(after.name());
            if (kind == Write.PROGRESS && event == null && current != null && stored != null
                    && after.updatedAt() != null && after.updatedAt().isBefore(stored.plus(STORE_UNCHANGED_CHECKS_EVERY))
                    && onlyReadAgain(before, after)) {
                // the same version: the next real write is checked against what is stored
                records.put(after.name(), new Versioned<>(after, current.version()));
                return;
            }
            long version = store.saveNode(after, current == null ? Versioned.ABSENT : current.version(), event);
            records.put(after.name(), new Versioned<>(after, version));
            if (after.updatedAt() != null) {
                storedAt.put(after.name(), after.updatedAt());
            }
            if (event != null) {
                if (event.type().equals(NodeEvents.STEP)) {
                    LOG.debug("node {}: {}", after.name(), event.message());
                } else {
                    LOG.info("node {}: {}", after.name(), event.message());
                }
            }
            listener.changed(before, after);
            if (before == null || before.state() != after.state() || !Objects.equals(before.image(), after.image())
                    || before.imageUnverified() != after.imageUnverified()
                    || !Objects.equals(before.drift(), after.drift()) || !Objects.equals(before.role(), after.role())) {
                // what the rollouts count (available, on the new image, failed) or the disruption budget counts
                // (drift to heal, the role a node serves) changed
                rollouts.signal();
            }
        }

        @Override
        public void forget(NodeRecord last, NodeEvent event) {
            Versioned<NodeRecord> current = records.get(last.name());
            store.deleteNode(last.name(), current == null ? Versioned.ABSENT : current.version(), event);
            records.remove(last.name());
            storedAt.remove(last.name());
            LOG.info("node {}: {}", last.name(), event.message());
            listener.changed(last, null);
            rollouts.signal();
        }
    }

    @Override
    public void close() {
        running = false;
        rollouts.close();
        queue.close();
        for (Thread t : workers) {
            t.interrupt();
        }
        for (Thread t : workers) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
