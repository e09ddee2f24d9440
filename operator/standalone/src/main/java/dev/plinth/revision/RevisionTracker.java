package dev.plinth.revision;

import dev.plinth.core.RevisionStatus;

import dev.plinth.api.DesiredState;
import dev.plinth.load.DesiredStateLoader;
import dev.plinth.load.LoadResult;
import dev.plinth.load.SourceFile;
import dev.plinth.store.RevisionStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which revision is in force. A revision is validated whole; if anything is wrong it is rejected whole and
 * recorded with its problems, and the last good revision stays in force. The good revision's desired state itself
 * is stored, so a restart resumes it without Git being reachable.
 */
public final class RevisionTracker {
    private static final Logger LOG = LoggerFactory.getLogger(RevisionTracker.class);
    private static final int REJECTED_KEPT = 20;

    private final RevisionStore store;
    private final DesiredStateLoader loader;
    private final Consumer<DesiredState> apply;
    private final Clock clock;
    private RevisionStatus status;
    private DesiredState inForce;

    /** @param loader validates revisions for the drivers of this wiring */
    public RevisionTracker(RevisionStore store, DesiredStateLoader loader, Consumer<DesiredState> apply, Clock clock) {
        this.store = store;
        this.loader = loader;
        this.apply = apply;
        this.clock = clock;
        this.status = store.revisionStatus();
        this.inForce = store.inForce().orElse(null);
    }

    /** The desired state stored by the last run, if any: apply it before the first new revision arrives. */
    public synchronized Optional<DesiredState> restored() {
        return Optional.ofNullable(inForce);
    }

    /** Validates a revision and puts it in force, or rejects it whole. Offering the revision in force is a no-op. */
    public synchronized LoadResult offer(String revision, String description, List<SourceFile> files) {
        if (inForce != null && inForce.revision().equals(revision)) {
            return LoadResult.ok(inForce);
        }
        LoadResult result = loader.load(revision, files);
        if (result.isOk()) {
            DesiredState state = result.state();
            status = new RevisionStatus(new RevisionStatus.Applied(revision, description, clock.instant(),
                    state.nodes().size(), state.images().size(), state.clouds().size()), status.rejected());
            store.putInForce(state, status);
            inForce = state;
            LOG.info("revision {} in force: {} nodes, {} images, {} clouds", shortId(revision),
                    state.nodes().size(), state.images().size(), state.clouds().size());
            apply.accept(state);
        } else {
            List<RevisionStatus.Rejected> rejected = new ArrayList<>();
            rejected.add(new RevisionStatus.Rejected(revision, description, clock.instant(), result.problems()));
            status.rejected().stream().filter(r -> !r.revision().equals(revision)).limit(REJECTED_KEPT - 1)
                    .forEach(rejected::add);
            status = new RevisionStatus(status.inForce(), rejected);
            store.putRevisionStatus(status);
            LOG.warn("revision {} rejected with {} problem(s); {} stays in force", shortId(revision),
                    result.problems().size(), inForce == null ? "nothing" : shortId(inForce.revision()));
            result.problems().forEach(p -> LOG.warn("  {}", p));
        }
        return result;
    }

    public synchronized RevisionStatus status() {
        return status;
    }

    public synchronized Optional<DesiredState> inForce() {
        return Optional.ofNullable(inForce);
    }

    /** The first 12 hex digits of a commit id, for logs and the CLI; other revision labels unchanged. */
    public static String shortId(String revision) {
        return revision.length() == 40 ? revision.substring(0, 12) : revision;
    }
}
