package dev.plinth.core;

import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DeployRequest;

/** One driver call the core asks the engine to make for a node. Data only: the engine performs it. */
public sealed interface Action {
    /**
     * Read power state (and boot device where the driver can). With {@code provenImage}: also the image the running
     * OS proved by a check-in (an adopted node whose image is unverified).
     */
    record CheckPower(boolean provenImage) implements Action {
        public CheckPower() {
            this(false);
        }
    }

    /**
     * Read the machine's inventory from its BMC ({@link dev.plinth.driver.BmcInventory}): when the node is first
     * seen, before its first deploy, and on demand. Reads only.
     */
    record ReadInventory() implements Action {}

    record PowerOn() implements Action {}

    /** Forced off: the machine loses power at once. */
    record PowerOff() implements Action {}

    /**
     * Ask the running OS to shut down (Redfish GracefulShutdown, IPMI soft off: ACPI). The machine may take a while,
     * or ignore it: the lifecycle reads the power back and forces it off after {@link LifecycleConfig#shutdownTimeout}.
     */
    record Shutdown() implements Action {}

    /** Boot afresh: power-cycle when on, power on when off. */
    record Reboot() implements Action {}

    record SetBootDevice(BootDevice device, boolean persistent) implements Action {}

    /** Register the deploy (its one-time token) and point the node's network boot at the ramdisk. */
    record PrepareDeploy(DeployRequest request) implements Action {}

    record ObserveDeploy(String deployId) implements Action {}

    /**
     * For a node that boots from virtual media, what {@link SetBootDevice} PXE is for one that network-boots: a boot
     * window opens, the boot's deploy ISO is published, the BMC attaches it as the virtual CD and boots from it next
     * (once). The URL is the driver's business: it is a credential, so it is in no action, record or event.
     */
    record BootFromMedia() implements Action {}

    /**
     * Network boot hands over to the local disk, and the BMC boots from disk persistently; with {@code ejectMedia}
     * the deploy ISO is ejected from the virtual CD first (a node that boots from virtual media).
     */
    record SwitchToLocalBoot(boolean ejectMedia) implements Action {
        public SwitchToLocalBoot() {
            this(false);
        }
    }

    record ObserveCheckIn(String deployId) implements Action {}

    /** The deploy is over; with {@code ejectMedia} its ISO is ejected from the virtual CD too (a wipe's end). */
    record FinishDeploy(String deployId, boolean ejectMedia) implements Action {
        public FinishDeploy(String deployId) {
            this(deployId, false);
        }
    }

    /**
     * Read back what an interrupted call left behind ({@link InFlight}): the power state, and the deploy's progress
     * and check-in. Reads only, so it may be repeated freely.
     */
    record Verify(String deployId) implements Action {}

    /** Forget the node's network boot and deploy state. */
    record CleanUp() implements Action {}

    default String label() {
        return getClass().getSimpleName();
    }
}
