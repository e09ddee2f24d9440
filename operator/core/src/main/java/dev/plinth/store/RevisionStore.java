package dev.plinth.store;

import dev.plinth.api.DesiredState;
import dev.plinth.core.RevisionStatus;
import java.util.Optional;

/**
 * Which revision of the desired state is in force, the last stable one (the rollback target), and the recent
 * rejected ones. The desired state itself is kept, so a restart resumes without its source (Git) being reachable.
 */
public interface RevisionStore {
    Optional<DesiredState> inForce();

    /** Puts a revision in force together with the status that says so, atomically. */
    void putInForce(DesiredState state, RevisionStatus status);

    RevisionStatus revisionStatus();

    /** Records a status change that puts nothing new in force (a rejected revision). */
    void putRevisionStatus(RevisionStatus status);

    /** The last revision every node converged on and passed its health checks: what a rollback returns to. */
    Optional<DesiredState> lastStable();

    void putLastStable(DesiredState state);
}
