package dev.plinth.testkit;

import dev.plinth.api.DesiredState;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.RevisionStatus;
import dev.plinth.core.fleet.RolloutState;
import dev.plinth.store.NodeEvent;
import dev.plinth.store.StateStore;
import dev.plinth.store.StoreConflictException;
import dev.plinth.store.Versioned;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A store that keeps nothing across restarts of the JVM: for unit tests and scale benchmarks only. {@link #reopen()}
 * gives another instance over the same data, as a restarted controller would open its database again.
 */
public final class InMemoryStateStore implements StateStore {
    private static final int EVENTS_KEPT_PER_NODE = 50;

    private static final class Data {
        final Map<String, Versioned<NodeRecord>> nodes = new HashMap<>();
        final Map<String, Deque<NodeEvent>> events = new ConcurrentHashMap<>();
        volatile DesiredState inForce;
        volatile DesiredState lastStable;
        volatile RevisionStatus revisions = RevisionStatus.NONE;
        volatile String deploys;
        final Map<String, RolloutState> rollouts = new ConcurrentHashMap<>();
    }

    private final Data data;

    public InMemoryStateStore() {
        this(new Data());
    }

    private InMemoryStateStore(Data data) {
        this.data = data;
    }

    /** The same data through a new instance. */
    public InMemoryStateStore reopen() {
        return new InMemoryStateStore(data);
    }

    @Override
    public Map<String, Versioned<NodeRecord>> loadNodes() {
        synchronized (data.nodes) {
            return new HashMap<>(data.nodes);
        }
    }

    @Override
    public Optional<Versioned<NodeRecord>> loadNode(String name) {
        synchronized (data.nodes) {
            return Optional.ofNullable(data.nodes.get(name));
        }
    }

    @Override
    public long saveNode(NodeRecord record, long expectedVersion) {
        synchronized (data.nodes) {
            long stored = storedVersion(record.name());
            if (stored != expectedVersion) {
                throw new StoreConflictException("node " + record.name(), expectedVersion, stored);
            }
            data.nodes.put(record.name(), new Versioned<>(record, stored + 1));
            return stored + 1;
        }
    }

    @Override
    public void deleteNode(String name, long expectedVersion) {
        synchronized (data.nodes) {
            long stored = storedVersion(name);
            if (stored != Versioned.ABSENT && stored != expectedVersion) {
                throw new StoreConflictException("node " + name, expectedVersion, stored);
            }
            data.nodes.remove(name);
        }
    }

    private long storedVersion(String name) {
        Versioned<NodeRecord> v = data.nodes.get(name);
        return v == null ? Versioned.ABSENT : v.version();
    }

    @Override
    public void append(NodeEvent event) {
        Deque<NodeEvent> q = data.events.computeIfAbsent(event.node(), k -> new ArrayDeque<>());
        synchronized (q) {
            q.addLast(event);
            if (q.size() > EVENTS_KEPT_PER_NODE) {
                q.removeFirst();
            }
        }
    }

    @Override
    public List<NodeEvent> events(String node, int limit) {
        Deque<NodeEvent> q = data.events.getOrDefault(node, new ArrayDeque<>());
        synchronized (q) {
            List<NodeEvent> all = new ArrayList<>(q);
            return all.subList(Math.max(0, all.size() - limit), all.size());
        }
    }

    @Override
    public Optional<DesiredState> inForce() {
        return Optional.ofNullable(data.inForce);
    }

    @Override
    public synchronized void putInForce(DesiredState state, RevisionStatus status) {
        data.inForce = state;
        data.revisions = status;
    }

    @Override
    public RevisionStatus revisionStatus() {
        return data.revisions;
    }

    @Override
    public void putRevisionStatus(RevisionStatus status) {
        data.revisions = status;
    }

    @Override
    public Optional<DesiredState> lastStable() {
        return Optional.ofNullable(data.lastStable);
    }

    @Override
    public void putLastStable(DesiredState state) {
        data.lastStable = state;
    }

    @Override
    public Optional<String> loadDeployRegistry() {
        return Optional.ofNullable(data.deploys);
    }

    @Override
    public void saveDeployRegistry(String document) {
        data.deploys = document;
    }

    @Override
    public Map<String, RolloutState> loadRollouts() {
        return new HashMap<>(data.rollouts);
    }

    @Override
    public void saveRollout(RolloutState state) {
        data.rollouts.put(state.role(), state);
    }

    @Override
    public void deleteRollout(String role) {
        data.rollouts.remove(role);
    }

    @Override
    public void close() {}
}
