package dev.plinth.driver;

/**
 * Writing an image and learning that the written OS came up. The ramdisk does the work; these calls register
 * what it may do and read what it reported.
 */
public interface DeployDriver {
    /** Accept reports for this deploy from now on (issues its one-time token). Idempotent per deploy id. */
    void start(NodeTarget node, DeployRequest deploy) throws DriverException;

    DeployProgress observe(NodeTarget node, String deployId) throws DriverException;

    /** Whether the OS written by this deploy has booted and checked in with its own token. */
    boolean checkedIn(NodeTarget node, String deployId) throws DriverException;

    /**
     * The image the node's running OS named in a check-in whose token this controller verified without a deploy
     * on record (the node was adopted after the state store was lost); empty when there was none since this
     * controller started, or the driver cannot tell.
     */
    default java.util.Optional<String> provenImage(NodeTarget node) throws DriverException {
        return java.util.Optional.empty();
    }

    /** Stop accepting reports for this deploy (it finished, failed or was superseded). */
    void finish(NodeTarget node, String deployId) throws DriverException;
}
