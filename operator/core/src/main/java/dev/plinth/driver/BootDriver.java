package dev.plinth.driver;

/** Network boot: what a node gets when it PXE/iPXE-boots. Idempotent, like every driver call. */
public interface BootDriver {
    /** From now on, the node network-boots into the deploy ramdisk for this deploy. */
    void prepareDeployBoot(NodeTarget node, DeployRequest deploy) throws DriverException;

    /**
     * The node is about to be (re)booted into the deploy ramdisk of the deploy {@link #prepareDeployBoot} named: open
     * its boot window. A driver that hands out a credential per boot (the agent) serves it to the first claim of this
     * boot only and within a bound, and retires the credentials of earlier boots. Called before every boot into the
     * ramdisk (the lifecycle's {@code SET_BOOT_PXE}, which every such boot and re-boot passes).
     */
    default void openDeployBootWindow(NodeTarget node) throws DriverException {
    }

    /**
     * For a node that boots from virtual media, right after {@link #openDeployBootWindow}: the ISO of this boot
     * (the deploy ramdisk with the boot's credential in it), published at an unguessable URL for its BMC to fetch.
     * It stops being served when the boot is superseded or the deploy ends. The URL is a credential: never log it.
     */
    default String publishDeployMedia(NodeTarget node) throws DriverException {
        throw new DriverException(FailureKind.UNSUPPORTED, "this controller cannot build a deploy ISO for node "
                + node.name() + " (virtual media boot)");
    }

    /** From now on, a network boot of this node hands over to its local disk. */
    void prepareLocalBoot(NodeTarget node) throws DriverException;

    /** Forget the node (it left the fleet). */
    void cleanUp(NodeTarget node) throws DriverException;
}
