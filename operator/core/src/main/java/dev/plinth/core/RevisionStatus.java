package dev.plinth.core;

import java.time.Instant;
import java.util.List;

/**
 * The revision in force, the revision held for approval (if any) and the recent revisions that were rejected, newest
 * first.
 *
 * @param held a valid revision not applied because it would take many machines out of service at once; null if none
 */
public record RevisionStatus(Applied inForce, List<Rejected> rejected, Held held) {
    public RevisionStatus {
        rejected = List.copyOf(rejected);
    }

    public RevisionStatus(Applied inForce, List<Rejected> rejected) {
        this(inForce, rejected, null);
    }

    public static final RevisionStatus NONE = new RevisionStatus(null, List.of(), null);

    public RevisionStatus withHeld(Held h) {
        return new RevisionStatus(inForce, rejected, h);
    }

    /** A revision that validated and is in force. */
    public record Applied(String revision, String description, Instant appliedAt, int nodes, int images,
            int clouds) {}

    /** A revision that did not validate: nothing of it was applied. */
    public record Rejected(String revision, String description, Instant rejectedAt, List<Problem> problems) {
        public Rejected {
            problems = List.copyOf(problems);
        }
    }

    /**
     * A revision that validated but waits for approval ({@code plinth approve REVISION}); nothing of it is applied.
     *
     * @param machines the machines it would take out of service, each with what would happen to it
     */
    public record Held(String revision, String description, Instant heldAt, String reason, List<String> machines) {
        public Held {
            machines = List.copyOf(machines);
        }
    }
}
