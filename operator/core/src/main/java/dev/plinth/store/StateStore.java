package dev.plinth.store;

import dev.plinth.core.NodeRecord;

/**
 * Every store port in one object, for hosts whose single backing store serves them all (standalone: one SQLite
 * file). Code that uses state depends on the narrow port it needs, not on this.
 */
public interface StateStore
        extends NodeStatusStore, NodeHistory, RevisionStore, DeployRegistryStore, RolloutStore, AutoCloseable {

    /**
     * Stores the record, then appends the event (null for none). A store that can do both in one transaction does;
     * nothing may depend on it, since history is best-effort.
     */
    default long saveNode(NodeRecord record, long expectedVersion, NodeEvent event) {
        long version = saveNode(record, expectedVersion);
        if (event != null) {
            append(event);
        }
        return version;
    }

    /** Deletes the record, then appends the event, as {@link #saveNode(NodeRecord, long, NodeEvent)}. */
    default void deleteNode(String name, long expectedVersion, NodeEvent event) {
        deleteNode(name, expectedVersion);
        if (event != null) {
            append(event);
        }
    }

    @Override
    void close();
}
