package dev.plinth.core.fleet;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fleet-wide limit on image-drift heals (re-images of nodes whose running OS proved another image). The per-node
 * limit ({@code NodeLifecycle.HEALS_PER_WINDOW}) and the roles' capacity ({@link DisruptionBudget}) do not stop a
 * flapping BMC fleet, or a bad check-in source, from starting hundreds of re-images at once across nodes and roles;
 * this does: at most {@code maxConcurrent} run at once and at most {@code perMinute} start in any minute. Heals are
 * granted in name order, so the same inputs grant the same nodes on every pass. Pure.
 *
 * @param maxConcurrent image heals that may run at once, fleet-wide (at least 1)
 * @param perMinute image heals that may start within one minute, fleet-wide (at least 1)
 */
public record HealLimit(int maxConcurrent, int perMinute) {
    /** Ten re-images at once, ten started per minute: a storm is spread over many minutes, a single heal waits for none. */
    public static final HealLimit DEFAULT = new HealLimit(10, 10);

    public HealLimit {
        if (maxConcurrent < 1 || perMinute < 1) {
            throw new IllegalArgumentException("image heal limits must be at least 1 (got " + maxConcurrent
                    + " at once, " + perMinute + " per minute)");
        }
    }

    /**
     * @param running image heals running now
     * @param startedLastMinute image heals started within the last minute (running or not)
     * @param wanted nodes that want to start an image heal now (granted by their role, if any)
     * @return the heals that must wait, by node, each with why; absent nodes may start now
     */
    public Map<String, String> held(int running, int startedLastMinute, Collection<String> wanted) {
        int room = Math.max(0, Math.min(maxConcurrent - running, perMinute - startedLastMinute));
        Map<String, String> held = new LinkedHashMap<>();
        for (String node : wanted.stream().sorted().toList()) {
            if (room > 0) {
                room--;
            } else {
                held.put(node, "image drift heal waits for the fleet-wide heal limit: " + running + " running (at"
                        + " most " + maxConcurrent + " at once), " + startedLastMinute + " started in the last minute"
                        + " (at most " + perMinute + ")");
            }
        }
        return held;
    }
}
