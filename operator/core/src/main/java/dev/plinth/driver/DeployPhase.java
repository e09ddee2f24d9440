package dev.plinth.driver;

/** Where a deploy stands, as the deploy agent reports it. */
public enum DeployPhase {
    /** The driver has never heard of this deploy id (it was never started, or its state was lost). */
    UNKNOWN,
    /** Started; the ramdisk has not reported yet. */
    WAITING,
    DOWNLOADING,
    WRITING,
    VERIFYING,
    /** Image written and its checksum verified on the disk. */
    WRITTEN,
    FAILED;

    public boolean terminal() {
        return this == WRITTEN || this == FAILED;
    }
}
