package dev.plinth.driver;

import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.RootDeviceHints;

/**
 * One attempt to write an image to a node, or to wipe its disks. {@code deployId} is chosen by the controller and
 * recorded before any driver call, so that after a crash the controller asks about the same deploy instead of
 * starting another.
 *
 * @param wipe the ramdisk wipes the partition tables and filesystem signatures of every disk instead of writing an
 *     image ({@code imageName} and {@code image} are null); it reports {@code WRITTEN} when done
 * @param inspect the ramdisk only reports the machine's hardware (its inventory) and powers off, touching no disk
 *     (inspection on demand; {@code imageName} and {@code image} are null); it reports {@code WRITTEN} when done
 */
public record DeployRequest(String deployId, String imageName, DiskImageSpec image, RootDeviceHints rootDeviceHints,
        boolean wipe, boolean inspect) {

    public DeployRequest(String deployId, String imageName, DiskImageSpec image, RootDeviceHints rootDeviceHints) {
        this(deployId, imageName, image, rootDeviceHints, false, false);
    }

    public DeployRequest(String deployId, String imageName, DiskImageSpec image, RootDeviceHints rootDeviceHints,
            boolean wipe) {
        this(deployId, imageName, image, rootDeviceHints, wipe, false);
    }

    /** Report the node's hardware and power off, writing nothing (an inspection boot on demand). */
    public static DeployRequest inspect(String deployId) {
        return new DeployRequest(deployId, null, null, RootDeviceHints.NONE, false, true);
    }

    /** Whether the ramdisk writes no image (a wipe or an inspection): no image to serve. */
    public boolean noImage() {
        return wipe || inspect;
    }

    /** Wipe every disk of the node (cleaning before it is available again). */
    public static DeployRequest wipe(String deployId) {
        return new DeployRequest(deployId, null, null, RootDeviceHints.NONE, true);
    }
}
