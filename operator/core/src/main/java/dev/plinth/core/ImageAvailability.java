package dev.plinth.core;

/** Whether an image can be served to nodes yet. Nodes that need a PENDING or FAILED image wait. */
public record ImageAvailability(Status status, String message) {
    public enum Status { READY, PENDING, FAILED }

    public static final ImageAvailability READY = new ImageAvailability(Status.READY, "");

    public boolean ready() {
        return status == Status.READY;
    }
}
