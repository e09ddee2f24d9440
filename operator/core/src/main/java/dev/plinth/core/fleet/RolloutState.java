package dev.plinth.core.fleet;

import dev.plinth.api.DiskImage;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a role's rollout has done so far, persisted (standalone: SQLite; operator: the Cloud's status) so a restart
 * neither restarts a rollout nor forgets a failed revision. Decisions are {@link RolloutPlanner}'s; this is data.
 *
 * @param role "cloud/role"
 * @param stableRevision the revision whose image every member last ran and passed the gate with: the rollback target
 * @param stableImage that image; null before the role's first rollout completed
 * @param targetRevision the revision that introduced the image being rolled out (or rolled back to)
 * @param targetImage the image being rolled out; equal to {@code stableImage} when nothing is rolling
 * @param targetKey what identifies the target (image and health check): the same key in a newer commit is no change
 * @param members the role's members ({@link RoleAllocator})
 * @param admitted members allowed to run the target, with when they were admitted (their gate's clock)
 * @param passed admitted members that passed the health gate on the target
 * @param failed admitted members that failed it, with why
 * @param pausedUntil no batch starts before this; null: no pause
 * @param batch batches admitted in this rollout
 * @param failure the last rollout that failed and was rolled back; null when none
 */
public record RolloutState(String role, Phase phase, String stableRevision, DiskImage stableImage,
        String targetRevision, DiskImage targetImage, String targetKey, List<String> members,
        Map<String, Instant> admitted, Set<String> passed, Map<String, String> failed, Instant pausedUntil, int batch,
        Failure failure) {

    public enum Phase {
        /** every member runs the target and passed (or there is nothing to run) */
        STABLE,
        /** batches of members are moving to a new image */
        ROLLING,
        /** the gate failed beyond the policy: the members that moved go back to the stable image */
        ROLLING_BACK,
        /** the first rollout of the role failed: there is no stable image, its members stay without one */
        HELD
    }

    /**
     * A rolled-back revision: not tried again until a commit changes the role's image or health check.
     *
     * @param deployFailed the image itself failed (verification or deploy), not only the probes: other roles hold it too
     */
    public record Failure(String revision, String key, DiskImage image, String reason, Instant at,
            boolean deployFailed) {}

    public RolloutState {
        members = List.copyOf(members);
        admitted = Collections.unmodifiableMap(new TreeMap<>(admitted));
        passed = Collections.unmodifiableSet(new TreeSet<>(passed));
        failed = Collections.unmodifiableMap(new TreeMap<>(failed));
    }

    public static RolloutState fresh(String role) {
        return new RolloutState(role, Phase.STABLE, null, null, null, null, null, List.of(), Map.of(), Set.of(),
                Map.of(), null, 0, null);
    }
}
