package dev.plinth.store;

import java.time.Instant;

/** One line of a node's history: a state change, a failure, a step done. */
public record NodeEvent(Instant at, String node, String type, String message) {}
