package dev.plinth.core;

import java.time.Instant;
import java.util.List;

/** The revision in force and the recent revisions that were rejected, newest first. */
public record RevisionStatus(Applied inForce, List<Rejected> rejected) {
    public RevisionStatus {
        rejected = List.copyOf(rejected);
    }

    public static final RevisionStatus NONE = new RevisionStatus(null, List.of());

    /** A revision that validated and is in force. */
    public record Applied(String revision, String description, Instant appliedAt, int nodes, int images,
            int clouds) {}

    /** A revision that did not validate: nothing of it was applied. */
    public record Rejected(String revision, String description, Instant rejectedAt, List<Problem> problems) {
        public Rejected {
            problems = List.copyOf(problems);
        }
    }
}
