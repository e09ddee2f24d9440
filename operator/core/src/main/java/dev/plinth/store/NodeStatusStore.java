package dev.plinth.store;

import dev.plinth.core.NodeRecord;
import java.util.Map;
import java.util.Optional;

/**
 * The actual state of each node, with a version per record. Standalone keeps it in SQLite; the operator in the
 * BareMetalNode's status. A write returns only once it is durable: the reconcile pass persists an intent here before
 * a non-idempotent call, and relies on reading it back after a crash.
 */
public interface NodeStatusStore {
    Map<String, Versioned<NodeRecord>> loadNodes();

    Optional<Versioned<NodeRecord>> loadNode(String name);

    /**
     * Stores the record if the stored version is {@code expectedVersion} ({@link Versioned#ABSENT} for a new node).
     *
     * @return the new version
     * @throws StoreConflictException when another write came first
     */
    long saveNode(NodeRecord record, long expectedVersion);

    /** Deletes the record if the stored version is {@code expectedVersion}; deleting an absent node is a no-op. */
    void deleteNode(String name, long expectedVersion);
}
