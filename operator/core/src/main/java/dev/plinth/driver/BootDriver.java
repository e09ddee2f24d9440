package dev.plinth.driver;

/** Network boot: what a node gets when it PXE/iPXE-boots. Idempotent, like every driver call. */
public interface BootDriver {
    /** From now on, the node network-boots into the deploy ramdisk for this deploy. */
    void prepareDeployBoot(NodeTarget node, DeployRequest deploy) throws DriverException;

    /** From now on, a network boot of this node hands over to its local disk. */
    void prepareLocalBoot(NodeTarget node) throws DriverException;

    /** Forget the node (it left the fleet). */
    void cleanUp(NodeTarget node) throws DriverException;
}
