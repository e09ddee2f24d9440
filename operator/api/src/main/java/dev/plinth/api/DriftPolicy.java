package dev.plinth.api;

/** What the controller does when a provisioned node is observed to differ from what Git asks (drift). */
public enum DriftPolicy {
    /** Restore it: power back, boot device back to disk, re-image a disk proven to hold another image. */
    HEAL,
    /** Record and show it (event, metric, message), change nothing. */
    REPORT;

    public String yaml() {
        return name().toLowerCase();
    }
}
