package dev.plinth.store;

import dev.plinth.core.NodeRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where actual state lives: node records, their history, and small named documents (the revision in force, the
 * rejected ones). Standalone mode uses {@link SqliteStateStore}; operator mode keeps the same data in CR status.
 * Every write is durable against a crash of the controller process before the method returns.
 */
public interface StateStore extends AutoCloseable {
    Map<String, NodeRecord> loadNodes();

    /** Stores the record and, when {@code event} is not null, appends it to the node's history, atomically. */
    void saveNode(NodeRecord record, NodeEvent event);

    void deleteNode(String name, NodeEvent event);

    /** The newest {@code limit} events of a node, oldest first. */
    List<NodeEvent> events(String node, int limit);

    Optional<String> getDocument(String key);

    void putDocument(String key, String json);

    @Override
    void close();
}
