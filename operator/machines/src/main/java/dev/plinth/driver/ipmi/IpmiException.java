package dev.plinth.driver.ipmi;

import dev.plinth.driver.DriverException;
import dev.plinth.driver.FailureKind;

/**
 * A {@link DriverException} that also tells the {@link IpmiClient} whether another attempt may help right now
 * (a stale or lost session, which the next attempt replaces; a transient completion code such as "node busy"),
 * as opposed to a BMC that never answered, refused the credentials or rejected the command.
 */
public class IpmiException extends DriverException {
    private final boolean worthRetrying;
    private final int completionCode;

    IpmiException(FailureKind kind, String message, boolean worthRetrying) {
        this(kind, message, worthRetrying, -1, null);
    }

    IpmiException(FailureKind kind, String message, boolean worthRetrying, int completionCode, Throwable cause) {
        super(kind, message, cause);
        this.worthRetrying = worthRetrying;
        this.completionCode = completionCode;
    }

    boolean worthRetrying() { return worthRetrying; }

    /** The IPMI completion code that caused this failure, or -1 when it was not a completion code. */
    public int completionCode() { return completionCode; }
}
