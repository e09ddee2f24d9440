package dev.plinth.api;

/**
 * How a role moves to a new image: in batches, never taking more than {@code maxUnavailable} of its nodes out of
 * service, each batch gated on its nodes' health.
 *
 * @param maxUnavailable a count ("1") or a percentage of the role's count ("25%"), as written in the document; the
 *     loader refuses 0 and 0% (bare metal has no spare node to surge onto, so 0 would never let a node move)
 * @param pauseSeconds how long to wait after a batch passed its health gate before the next one starts
 * @param partitionLabel a node label splitting the role into sides (HA pairs: {@code side: a|b}); when set, one side
 *     (by label value, in order) rolls at a time and the next starts only once the whole side passed. Null: none
 * @param maxFailures how many nodes may fail their health gate in one rollout before it stops and rolls back (0:
 *     the first failure does)
 */
public record RolloutPolicy(String maxUnavailable, int pauseSeconds, String partitionLabel, int maxFailures) {
    public static final RolloutPolicy DEFAULT = new RolloutPolicy("1");

    public RolloutPolicy(String maxUnavailable) {
        this(maxUnavailable, 0, null, 0);
    }

    /**
     * Resolves the policy against a role size. A percentage rounds down, but a positive percentage of a small role
     * is at least 1 (documented). 0 is returned as 0: the planner then moves no healthy node, it never reads 0 as 1.
     */
    public int maxUnavailableOf(int count) {
        if (maxUnavailable.endsWith("%")) {
            int percent = Integer.parseInt(maxUnavailable.substring(0, maxUnavailable.length() - 1));
            return percent == 0 ? 0 : Math.max(1, (int) ((long) count * percent / 100));
        }
        return Integer.parseInt(maxUnavailable);
    }
}
