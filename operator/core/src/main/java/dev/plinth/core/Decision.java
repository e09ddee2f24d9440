package dev.plinth.core;

import java.time.Duration;

/** What the core decided for a node at one instant. */
public sealed interface Decision {
    /** Store this record (no driver call needed), then decide again. */
    record Persist(NodeRecord next) implements Decision {}

    /**
     * Make this driver call, then hand its outcome to {@link NodeLifecycle#apply}.
     *
     * @param intent for a call that must not be repeated blindly: the record to persist durably BEFORE making the
     *     call (it marks the call {@link InFlight}); null when the call is idempotent. Carried here so that no host
     *     can act without persisting it first.
     */
    record Act(Action action, NodeRecord intent) implements Decision {
        public Act(Action action) {
            this(action, null);
        }

        public boolean persistFirst() {
            return intent != null;
        }
    }

    /** Nothing to do until this much time has passed, or something wakes the node. */
    record Wait(Duration after) implements Decision {}

    /** The node was removed from the desired state and deprovisioned (or never registered): drop its record. */
    record Forget() implements Decision {}
}
