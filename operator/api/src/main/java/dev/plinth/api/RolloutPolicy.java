package dev.plinth.api;

/**
 * How many nodes of a role may be out of service at once during a rollout.
 *
 * @param maxUnavailable a count ("1") or a percentage of the role's count ("25%"), as written in the document
 */
public record RolloutPolicy(String maxUnavailable) {
    public static final RolloutPolicy DEFAULT = new RolloutPolicy("1");

    /** Resolves the policy against a role size; at least one node may always move. */
    public int maxUnavailableOf(int count) {
        if (maxUnavailable.endsWith("%")) {
            int percent = Integer.parseInt(maxUnavailable.substring(0, maxUnavailable.length() - 1));
            return Math.max(1, count * percent / 100);
        }
        return Math.max(1, Integer.parseInt(maxUnavailable));
    }
}
