package dev.plinth.revision;

import dev.plinth.core.RevisionStatus;

import dev.plinth.api.DesiredState;
import dev.plinth.diff.RemovalGuard;
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
 *
 * <p>A good revision that would take many machines out of service at once ({@link RemovalGuard}) is held instead:
 * nothing of it applies until {@link #approve} names it. The hold is decided by comparing with the revision in force,
 * never by remembering commits, so the same change committed again (a new commit id) is held again, and an approval
 * applies only the commit it names.
 */
public final class RevisionTracker {
    private static final Logger LOG = LoggerFactory.getLogger(RevisionTracker.class);
    private static final int REJECTED_KEPT = 20;

    private final RevisionStore store;
    private final DesiredStateLoader loader;
    private final Consumer<DesiredState> apply;
    private final Clock clock;
    private final RemovalGuard guard;
    private RevisionStatus status;
    private DesiredState inForce;
    /** The validated revision that {@code status.held()} names; null until it is offered again after a restart. */
    private DesiredState held;

    /** @param loader validates revisions for the drivers of this wiring */
    public RevisionTracker(RevisionStore store, DesiredStateLoader loader, Consumer<DesiredState> apply, Clock clock) {
        this(store, loader, apply, clock, RemovalGuard.DEFAULT);
    }

    /** @param guard which revisions are held for approval */
    public RevisionTracker(RevisionStore store, DesiredStateLoader loader, Consumer<DesiredState> apply, Clock clock,
            RemovalGuard guard) {
        this.store = store;
        this.loader = loader;
        this.apply = apply;
        this.clock = clock;
        this.guard = guard;
        this.status = store.revisionStatus();
        this.inForce = store.inForce().orElse(null);
    }

    /** The desired state stored by the last run, if any: apply it before the first new revision arrives. */
    public synchronized Optional<DesiredState> restored() {
        return Optional.ofNullable(inForce);
    }

    /**
     * Validates a revision and puts it in force, holds it for approval, or rejects it whole. Offering the revision in
     * force, or the one held, is a no-op.
     */
    public synchronized LoadResult offer(String revision, String description, List<SourceFile> files) {
        if (inForce != null && inForce.revision().equals(revision)) {
            return LoadResult.ok(inForce);
        }
        if (held != null && held.revision().equals(revision)) {
            return LoadResult.ok(held);
        }
        LoadResult result = loader.load(revision, files);
        if (result.isOk()) {
            DesiredState state = result.state();
            Optional<RemovalGuard.Hold> hold = guard.check(inForce, state);
            if (hold.isPresent()) {
                hold(state, description, hold.get());
            } else {
                putInForce(state, description);
            }
        } else {
            List<RevisionStatus.Rejected> rejected = new ArrayList<>();
            rejected.add(new RevisionStatus.Rejected(revision, description, clock.instant(), result.problems()));
            status.rejected().stream().filter(r -> !r.revision().equals(revision)).limit(REJECTED_KEPT - 1)
                    .forEach(rejected::add);
            status = new RevisionStatus(status.inForce(), rejected, status.held());
            store.putRevisionStatus(status);
            LOG.warn("revision {} rejected with {} problem(s); {} stays in force", shortId(revision),
                    result.problems().size(), inForce == null ? "nothing" : shortId(inForce.revision()));
            result.problems().forEach(p -> LOG.warn("  {}", p));
        }
        return result;
    }

    /** Whether {@code revision} is the one held for approval. */
    public synchronized boolean isHeld(String revision) {
        return status.held() != null && status.held().revision().equals(revision);
    }

    /**
     * Puts the held revision in force. {@code revision} must name it: the full commit id, or a prefix of at least 7
     * characters. Anything else is refused with a message saying what is held.
     *
     * @return the revision put in force
     */
    public synchronized String approve(String revision) {
        RevisionStatus.Held h = status.held();
        if (h == null) {
            throw new IllegalStateException("no revision is held for approval"
                    + (inForce == null ? "" : "; " + shortId(inForce.revision()) + " is in force"));
        }
        boolean named = revision != null && (h.revision().equals(revision)
                || (revision.length() >= 7 && h.revision().startsWith(revision)));
        if (!named) {
            throw new IllegalStateException("revision " + revision + " is not the one held for approval: "
                    + shortId(h.revision()) + " is (" + h.machines().size() + " machines out of service)");
        }
        if (held == null) {
            throw new IllegalStateException("revision " + shortId(h.revision()) + " is held but not read again since"
                    + " the controller restarted; approve it after the next fetch");
        }
        LOG.warn("revision {} approved: {} machine(s) go out of service: {}", shortId(h.revision()),
                h.machines().size(), h.machines());
        putInForce(held, h.description());
        return h.revision();
    }

    private void hold(DesiredState state, String description, RemovalGuard.Hold hold) {
        held = state;
        status = status.withHeld(new RevisionStatus.Held(state.revision(), description, clock.instant(),
                hold.reason(), hold.machines()));
        store.putRevisionStatus(status);
        LOG.warn("revision {} held, not applied: it {}: {}", shortId(state.revision()), hold.reason(),
                hold.machines());
    }

    /** In force; a held revision is superseded by it (it is older, or it is the approved one). */
    private void putInForce(DesiredState state, String description) {
        String revision = state.revision();
        status = new RevisionStatus(new RevisionStatus.Applied(revision, description, clock.instant(),
                state.nodes().size(), state.images().size(), state.clouds().size()), status.rejected(), null);
        store.putInForce(state, status);
        inForce = state;
        held = null;
        LOG.info("revision {} in force: {} nodes, {} images, {} clouds", shortId(revision),
                state.nodes().size(), state.images().size(), state.clouds().size());
        apply.accept(state);
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
