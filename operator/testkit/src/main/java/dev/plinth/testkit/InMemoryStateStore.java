package dev.plinth.testkit;

import dev.plinth.store.NodeEvent;
import dev.plinth.store.StateStore;

import dev.plinth.core.NodeRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A store that keeps nothing across restarts: for unit tests and scale benchmarks only. */
public final class InMemoryStateStore implements StateStore {
    private final Map<String, NodeRecord> nodes = new ConcurrentHashMap<>();
    private final Map<String, Deque<NodeEvent>> events = new ConcurrentHashMap<>();
    private final Map<String, String> documents = new ConcurrentHashMap<>();

    @Override
    public Map<String, NodeRecord> loadNodes() {
        return new HashMap<>(nodes);
    }

    @Override
    public void saveNode(NodeRecord record, NodeEvent event) {
        nodes.put(record.name(), record);
        remember(event);
    }

    @Override
    public void deleteNode(String name, NodeEvent event) {
        nodes.remove(name);
        remember(event);
    }

    private void remember(NodeEvent event) {
        if (event != null) {
            Deque<NodeEvent> q = events.computeIfAbsent(event.node(), k -> new ArrayDeque<>());
            synchronized (q) {
                q.addLast(event);
                if (q.size() > 50) {
                    q.removeFirst();
                }
            }
        }
    }

    @Override
    public List<NodeEvent> events(String node, int limit) {
        Deque<NodeEvent> q = events.getOrDefault(node, new ArrayDeque<>());
        synchronized (q) {
            List<NodeEvent> all = new ArrayList<>(q);
            return all.subList(Math.max(0, all.size() - limit), all.size());
        }
    }

    @Override
    public Optional<String> getDocument(String key) {
        return Optional.ofNullable(documents.get(key));
    }

    @Override
    public void putDocument(String key, String json) {
        documents.put(key, json);
    }

    @Override
    public void close() {}
}
