package dev.plinth.driver;

/** Why a driver call failed; the core decides from this whether retrying can help. */
public enum FailureKind {
    /** Wrong username or password: retrying with the same secret only locks accounts. */
    AUTHENTICATION(false),
    /** No answer from the BMC or agent at all. */
    UNREACHABLE(true),
    /** The call started but did not finish in time. */
    TIMEOUT(true),
    /** The peer answered something unexpected or refused the command. */
    PROTOCOL(true),
    /** A credentialsName with no matching secret. */
    MISSING_CREDENTIALS(false),
    /** The deploy agent reported a failure (bad checksum, no matching disk, write error). */
    DEPLOY_FAILED(false),
    /** The image the node needs failed to download or verify. */
    IMAGE_FAILED(false),
    /** Nothing in this build drives this kind of BMC (a Redfish address with only IPMI available, say). */
    UNSUPPORTED(false);

    private final boolean retryable;

    FailureKind(boolean retryable) { this.retryable = retryable; }

    public boolean retryable() { return retryable; }
}
