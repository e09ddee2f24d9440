package dev.plinth.api;

/** One role of a cloud: how many nodes, which ones, which image, how to roll out and check them. */
public record CloudRole(
        String name,
        int count,
        LabelSelector nodeSelector,
        ResourceRef image,
        RolloutPolicy rollout,
        HealthCheck healthCheck) {}
