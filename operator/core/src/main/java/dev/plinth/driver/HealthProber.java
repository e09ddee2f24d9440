package dev.plinth.driver;

import dev.plinth.api.HealthCheck;

/**
 * Probes a node's running OS from the controller, as a role's health check asks (TCP connect, HTTP GET). A port,
 * so the rollout decisions stay pure; the host calls it for the members the planner names and feeds the results back.
 */
public interface HealthProber {
    /** Every probe of {@code check} against {@code host}; returns null when all pass, else what failed. */
    String probe(String host, HealthCheck check);
}
