package dev.plinth.core;

import java.time.Duration;

/**
 * The record after an action's outcome, and when to look at the node again.
 *
 * @param requeueAfter null to decide again at once; otherwise wait this long (or until the node is woken)
 */
public record Transition(NodeRecord next, Duration requeueAfter) {
    public static Transition now(NodeRecord next) {
        return new Transition(next, null);
    }
}
