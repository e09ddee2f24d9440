package dev.plinth.core;

/**
 * A node's lifecycle state, named as in Metal3 and Ironic. See docs/node-lifecycle.md for what moves a node
 * between them.
 */
public enum ProvisioningState {
    /** Checking that the BMC answers with the configured credentials. */
    REGISTERING,
    /** Reachable and managed; holds no image Plinth wrote (or its image was removed from the desired state). */
    AVAILABLE,
    /** Writing an image: network boot, deploy ramdisk, verify, boot the disk, check-in. */
    PROVISIONING,
    /** Runs the image the desired state asks for; watched for power and boot-device drift. */
    PROVISIONED,
    /**
     * Its image is no longer wanted on it (removed from Git, image removed, moved to another role): the deploy
     * ramdisk wipes the partition tables and filesystem signatures of every disk before it is available again.
     */
    CLEANING,
    /**
     * Inspected on demand ({@code plinth inspect}): an available node boots the deploy ramdisk only to report its
     * hardware, writes nothing, and is powered off and available again.
     */
    INSPECTING,
    /** Leaving the fleet: powered off and its network boot cleaned up. */
    DEPROVISIONING,
    /** An operation failed; retried with backoff, at once when the spec changes. */
    ERROR
}
