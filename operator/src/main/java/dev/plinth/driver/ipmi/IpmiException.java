package dev.plinth.driver.ipmi;

import dev.plinth.driver.DriverException;
import dev.plinth.driver.FailureKind;

/**
 * A {@link DriverException} that also tells the {@link IpmiClient} whether one more attempt, on a fresh session,
 * may help right now (a stale session, a transient completion code), as opposed to a BMC that never answered.
 */
public class IpmiException extends DriverException {
    private final boolean retryOnNewSession;
    private final int completionCode;

    IpmiException(FailureKind kind, String message, boolean retryOnNewSession) {
        this(kind, message, retryOnNewSession, -1, null);
    }

    IpmiException(FailureKind kind, String message, boolean retryOnNewSession, int completionCode, Throwable cause) {
        super(kind, message, cause);
        this.retryOnNewSession = retryOnNewSession;
        this.completionCode = completionCode;
    }

    boolean retryOnNewSession() { return retryOnNewSession; }

    /** The IPMI completion code that caused this failure, or -1 when it was not a completion code. */
    public int completionCode() { return completionCode; }
}
