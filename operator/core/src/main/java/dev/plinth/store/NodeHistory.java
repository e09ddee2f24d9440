package dev.plinth.store;

import java.util.List;

/**
 * A node's history: state changes, failures, heals. Best-effort by contract: losing an event must never stop
 * reconciliation (Kubernetes Events are themselves short-lived and rate-limited), so decisions never read it.
 */
public interface NodeHistory {
    void append(NodeEvent event);

    /** The newest {@code limit} events of a node, oldest first. */
    List<NodeEvent> events(String node, int limit);
}
