package dev.plinth.engine;

import dev.plinth.core.NodeRecord;

/** Hears every stored change of a node record (progress display, metrics). Called on worker threads. */
@FunctionalInterface
public interface NodeListener {
    NodeListener NONE = (before, after) -> { };

    /** {@code after} is null when the node was forgotten. */
    void changed(NodeRecord before, NodeRecord after);
}
