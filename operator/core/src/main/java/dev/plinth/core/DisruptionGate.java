package dev.plinth.core;

/**
 * Whether a node may be taken out of service outside a rollout now: moved out of its role (wiped first) or re-imaged
 * to heal image drift. The fleet plan decides it under the role's capacity ({@code fleet.DisruptionBudget}); a host
 * without a fleet plan (a tool, one node) lets it go.
 *
 * @param planned a fleet plan decided it; false: nothing gates this node
 * @param granted the plan counted this node's disruption and lets it go (a plan made before the node's drift was seen
 *     has not, so the node waits for the next plan instead of going unchecked)
 * @param held why it must wait, when the plan held it; null otherwise
 */
public record DisruptionGate(boolean planned, boolean granted, String held) {
    /** No fleet plan: nothing to wait for. */
    public static final DisruptionGate FREE = new DisruptionGate(false, true, null);

    /** Why the node must wait now; null when it may go. */
    public String blocked() {
        if (!planned || granted) {
            return null;
        }
        return held != null ? held : "waiting for the fleet plan to count it against its role's capacity";
    }
}
