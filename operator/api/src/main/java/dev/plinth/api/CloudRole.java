package dev.plinth.api;

/**
 * One role of a cloud: how many nodes, which ones, which image, how to roll out and check them.
 *
 * @param failureDomainLabel a node label (rack, chassis, power feed) the role's members are spread over, evenly
 *     as far as the matching nodes allow; null: no spreading
 * @param drift the drift policy of the role's nodes; null to use the cloud's
 */
public record CloudRole(
        String name,
        int count,
        LabelSelector nodeSelector,
        ResourceRef image,
        RolloutPolicy rollout,
        HealthCheck healthCheck,
        String failureDomainLabel,
        DriftPolicy drift) {

    public CloudRole(String name, int count, LabelSelector nodeSelector, ResourceRef image, RolloutPolicy rollout,
            HealthCheck healthCheck) {
        this(name, count, nodeSelector, image, rollout, healthCheck, null, null);
    }
}
