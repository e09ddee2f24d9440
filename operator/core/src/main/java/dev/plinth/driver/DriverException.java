package dev.plinth.driver;

/** A driver call that failed, with a message fit for node status (never containing a secret). */
public class DriverException extends Exception {
    private final FailureKind kind;

    public DriverException(FailureKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public DriverException(FailureKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public FailureKind kind() { return kind; }
}
