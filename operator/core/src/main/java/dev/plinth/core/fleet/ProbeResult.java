package dev.plinth.core.fleet;

import java.time.Instant;

/** The outcome of one round of a role's health probes against one node, made at {@code at}. */
public record ProbeResult(boolean ok, String message, Instant at) {}
