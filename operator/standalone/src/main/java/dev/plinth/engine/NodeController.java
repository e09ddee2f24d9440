package dev.plinth.engine;

import dev.plinth.reconcile.ActionExecutor;
import dev.plinth.reconcile.ImageCatalog;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.Decision;
import dev.plinth.core.ImageAvailability;
import dev.plinth.core.NodeInput;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.Outcome;
import dev.plinth.core.Transition;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.NodeWaker;
import dev.plinth.secrets.SecretStore;
import dev.plinth.store.NodeEvent;
import dev.plinth.store.StateStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
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
 * The imperative shell around {@link NodeLifecycle}: a pool of workers takes node names from a {@link WorkQueue},
 * asks the core what to do, performs driver calls, and stores every new record before deciding again. The queue
 * guarantees one worker per node; the store write before each next step is what makes a crash resumable.
 */
public final class NodeController implements NodeWaker, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeController.class);

    private final NodeLifecycle lifecycle;
    private final ActionExecutor executor;
    private final SecretStore secrets;
    private final ImageCatalog images;
    private final StateStore store;
    private final Clock clock;
    private final EngineConfig config;
    private final NodeListener listener;
    private final WorkQueue queue = new WorkQueue();
    private final Map<String, NodeRecord> records = new ConcurrentHashMap<>();
    private final List<Thread> workers = new ArrayList<>();
    private volatile DesiredState desired = DesiredState.empty("none");
    private volatile boolean running;

    public NodeController(NodeLifecycle lifecycle, Drivers drivers, SecretStore secrets, ImageCatalog images,
            StateStore store, Clock clock, EngineConfig config, NodeListener listener) {
        this.lifecycle = lifecycle;
        this.executor = new ActionExecutor(drivers);
        this.secrets = secrets;
        this.images = images;
        this.store = store;
        this.clock = clock;
        this.config = config;
        this.listener = listener;
        records.putAll(store.loadNodes());
    }

    /** Starts the workers. Call {@link #setDesired} first on a restart, or removed-node logic sees an empty Git. */
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
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
        Set<String> touched = new HashSet<>(state.nodes().keySet());
        touched.addAll(records.keySet());
        touched.addAll(previous.nodes().keySet());
        touched.forEach(queue::add);
    }

    public DesiredState desired() {
        return desired;
    }

    @Override
    public void wake(String nodeName) {
        queue.add(nodeName);
    }

    /** Wakes every node that uses this image (its availability changed). */
    public void wakeUsersOf(String imageName) {
        DesiredState d = desired;
        d.nodes().values().stream()
                .filter(n -> d.imageFor(n).map(i -> i.name().equals(imageName)).orElse(false))
                .forEach(n -> queue.add(n.name()));
    }

    public Optional<NodeRecord> record(String name) {
        return Optional.ofNullable(records.get(name));
    }

    public Collection<NodeRecord> records() {
        return records.values();
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
        for (int i = 0; i < config.maxStepsPerTurn() && running; i++) {
            NodeInput in = inputFor(name);
            NodeRecord rec = records.get(name);
            Decision d = lifecycle.decide(in, rec, clock.instant());
            if (d instanceof Decision.Persist p) {
                save(rec, p.next());
            } else if (d instanceof Decision.Forget) {
                forget(rec, name);
                return;
            } else if (d instanceof Decision.Wait w) {
                queue.addAfter(name, min(w.after(), config.maxWait()));
                return;
            } else if (d instanceof Decision.Act a) {
                Optional<NodeRecord> intent = lifecycle.beforeAct(rec, a.action());
                if (intent.isPresent()) {
                    save(rec, intent.get());
                    rec = intent.get();
                }
                Outcome outcome = perform(a, rec);
                Transition t = lifecycle.apply(rec, a.action(), outcome, clock.instant());
                save(rec, t.next());
                if (t.requeueAfter() != null) {
                    queue.addAfter(name, min(t.requeueAfter(), config.maxWait()));
                    return;
                }
            }
        }
        queue.add(name); // more to do: yield the worker to other nodes, come back soon
    }

    private Outcome perform(Decision.Act act, NodeRecord rec) {
        Optional<BmcCredentials> credentials = secrets.bmcCredentials(rec.bmc().credentialsName());
        if (credentials.isEmpty()) {
            return Outcome.failed(FailureKind.MISSING_CREDENTIALS, "no credentials named \""
                    + rec.bmc().credentialsName() + "\": add them to the secrets file (standalone) or create the"
                    + " Secret (operator)");
        }
        NodeTarget target = new NodeTarget(rec.name(), rec.bmc(), credentials.get(), rec.bootMACAddress());
        return executor.execute(act.action(), target);
    }

    private NodeInput inputFor(String name) {
        DesiredState d = desired;
        BareMetalNode node = d.nodes().get(name);
        if (node == null) {
            return NodeInput.removed(name);
        }
        DiskImage image = d.imageFor(node).orElse(null);
        ImageAvailability availability = image == null ? ImageAvailability.READY : images.availability(image);
        return new NodeInput(name, node, image, availability);
    }

    private void save(NodeRecord before, NodeRecord after) {
        NodeRecord stamped = after.toBuilder().updatedAt(clock.instant()).build();
        NodeEvent event = eventFor(before, stamped);
        store.saveNode(stamped, event);
        records.put(stamped.name(), stamped);
        if (event != null) {
            if (event.type().equals("Step")) {
                LOG.debug("node {}: {}", stamped.name(), event.message());
            } else {
                LOG.info("node {}: {}", stamped.name(), event.message());
            }
        }
        listener.changed(before, stamped);
    }

    private void forget(NodeRecord rec, String name) {
        if (rec == null) {
            return;
        }
        store.deleteNode(name, new NodeEvent(clock.instant(), name, "Forgotten",
                "left Git and is no longer managed"));
        records.remove(name);
        LOG.info("node {}: left Git and is no longer managed", name);
        listener.changed(rec, null);
    }

    /** An event for each state change, step change and new error; nothing for progress-only updates. */
    private NodeEvent eventFor(NodeRecord before, NodeRecord after) {
        String message = null;
        String type = "State";
        if (before == null) {
            message = "registered from Git";
        } else if (before.state() != after.state()) {
            message = before.state() + " -> " + after.state();
            if (after.errorMessage() != null && after.errorCount() > before.errorCount()) {
                type = "Error";
                message += ": " + after.errorMessage() + " (" + after.errorKind() + ")";
            }
        } else if (!Objects.equals(before.step(), after.step()) && after.step() != null) {
            type = "Step";
            message = after.state() + "/" + after.step();
        } else if (after.attempt() > before.attempt()) {
            type = "Retry";
            message = after.message();
        }
        return message == null ? null : new NodeEvent(after.updatedAt(), after.name(), type, message);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        running = false;
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
