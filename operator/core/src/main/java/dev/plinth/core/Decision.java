package dev.plinth.core;

import java.time.Duration;

/** What the core decided for a node at one instant. */
public sealed interface Decision {
    /** Store this record (no driver call needed), then decide again. */
    record Persist(NodeRecord next) implements Decision {}

    /** Make this driver call, then hand its outcome to {@link NodeLifecycle#apply}. */
    record Act(Action action) implements Decision {}

    /** Nothing to do until this much time has passed, or something wakes the node. */
    record Wait(Duration after) implements Decision {}

    /** The node left Git and was deprovisioned (or never registered): drop its record. */
    record Forget() implements Decision {}
}
