package dev.plinth.api;

/** What proves a node of a role healthy after a rollout step. */
public record HealthCheck(boolean checkIn, Integer tcpPort, int timeoutSeconds) {
    public static final HealthCheck DEFAULT = new HealthCheck(true, null, 600);
}
