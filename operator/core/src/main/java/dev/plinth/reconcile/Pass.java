package dev.plinth.reconcile;

import dev.plinth.core.NodeRecord;
import java.time.Duration;

/**
 * What one reconcile pass of a node ended with.
 *
 * @param record the node's record after the pass (null once forgotten or never registered)
 * @param next when the host should look at the node again
 */
public record Pass(NodeRecord record, Next next) {

    /** When to come back. */
    public sealed interface Next {
        /** Nothing to do until this much time has passed, or something wakes the node. */
        record After(Duration delay) implements Next {}

        /** More to do at once: the pass stopped only to let other nodes have a turn. */
        record Soon() implements Next {}

        /** The node is no longer managed: drop it from the host's queue and caches. */
        record Forgotten() implements Next {}
    }
}
