package dev.plinth.reconcile;

import dev.plinth.core.NodeRecord;
import dev.plinth.store.NodeEvent;

/**
 * Where a reconcile pass persists what it decided: the host's store (a SQLite row in standalone mode, the
 * BareMetalNode's status in operator mode). Both calls return only once the record is durable, or throw.
 */
public interface RecordWriter {
    /**
     * Persists {@code after}, which replaces {@code before} (null for a new node).
     *
     * @param event what changed, in words, or null for progress nobody needs to read about (best-effort)
     * @param kind whether the write must be durable before the pass goes on ({@link Write#INTENT}) or is progress
     *     a host may coalesce with the next write
     */
    void write(NodeRecord before, NodeRecord after, NodeEvent event, Write kind);

    /** Drops the node's record: it was removed from the desired state and deprovisioned. */
    void forget(NodeRecord last, NodeEvent event);

    /** What a write is for. */
    enum Write {
        /** Marks a non-idempotent call as started: it must be durable before the call is made. */
        INTENT,
        /** A decided transition or an observation: durable before the next decision, may be coalesced. */
        PROGRESS
    }
}
