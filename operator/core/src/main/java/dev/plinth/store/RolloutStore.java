package dev.plinth.store;

import dev.plinth.core.fleet.RolloutState;
import java.util.Map;

/**
 * Each role's rollout state ({@link RolloutState}): the stable revision and image (the rollback target), the target
 * being rolled out, which members were admitted and passed, and the last failed revision. Standalone keeps it in
 * SQLite; the operator will keep it in the Cloud's status. Only the fleet pass of one controller writes it.
 */
public interface RolloutStore {
    /** Every role's state, by "cloud/role". */
    Map<String, RolloutState> loadRollouts();

    void saveRollout(RolloutState state);

    /** Forgets a role no longer in Git; forgetting an unknown role is a no-op. */
    void deleteRollout(String role);
}
