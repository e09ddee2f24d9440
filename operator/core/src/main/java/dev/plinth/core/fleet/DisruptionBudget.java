package dev.plinth.core.fleet;

import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which re-images outside a rollout may start now: a node moving out of a role (wiped, then provisioned for its new
 * role) and an image-drift heal (re-imaged with the image Git asks for). Each takes a node that serves its role out
 * of service, so each counts against the role's {@code maxUnavailable} like a rollout batch: it may start only while
 * at least {@code count - maxUnavailable} of the role's nodes stay in service. Pure.
 *
 * <p>A node that is not in service (deploying, failed, powered off) costs nothing to disrupt and is never asked
 * about; a role that is already at or below its floor lets none of its serving nodes go until it is back above.
 * Disruptions are granted in name order, so the same inputs grant the same nodes on every pass.
 */
public final class DisruptionBudget {
    private DisruptionBudget() {}

    /**
     * @param role "cloud/role" whose capacity the disruption takes
     * @param inService the role's nodes in service now (its members and the nodes still serving it on their way out),
     *     not counting those its rollout has just taken (admitted, not yet through their gate)
     * @param minAvailable {@code count - maxUnavailable}: how many must stay
     */
    public record Role(String role, int inService, int minAvailable) {}

    /**
     * @param node a node in service that wants to leave it
     * @param role the role it serves (a move: the role it leaves)
     * @param what what would take it out, for the message ("move to role lab/db", "image drift heal")
     */
    public record Disruption(String node, String role, String what) {}

    /**
     * @return the disruptions that must wait, by node, each with why; absent nodes may go now. A disruption of a role
     *     the budget does not know (the role is gone from Git) is not held.
     */
    public static Map<String, String> held(Map<String, Role> roles, List<Disruption> wanted) {
        Map<String, Integer> room = new HashMap<>();
        roles.forEach((k, r) -> room.put(k, r.inService() - r.minAvailable()));
        Map<String, String> held = new LinkedHashMap<>();
        for (Disruption d : wanted.stream().sorted(Comparator.comparing(Disruption::node)).toList()) {
            Role r = roles.get(d.role());
            if (r == null) {
                continue;
            }
            int left = room.get(d.role());
            if (left > 0) {
                room.put(d.role(), left - 1);
            } else {
                held.put(d.node(), d.what() + " waits for capacity of role " + d.role() + ": " + r.inService()
                        + " node(s) in service, at least " + r.minAvailable() + " must stay");
            }
        }
        return held;
    }
}
