package dev.plinth.driver.fake;

import dev.plinth.driver.BootDevice;
import dev.plinth.driver.PowerState;

/**
 * The simulated hardware of one node, as plain mutable data so it can be saved and reloaded: a fake machine keeps
 * running (and finishes writing its disk) while the controller is dead, like a real one.
 */
public final class FakeMachine {
    public PowerState power = PowerState.OFF;
    public BootDevice bootDevice = BootDevice.DISK;
    /** The deploy the node's network boot points at; null for local boot. */
    public String netbootDeploy;
    public String netbootImage;
    public String netbootChecksum;
    /** The network boot's ramdisk only inspects the hardware (no image, no disk touched). */
    public boolean netbootInspect;
    /** The boot MAC the controller gave (the simulated NIC's address in the inventory). */
    public String mac;
    /**
     * The boot window is open (the controller is about to boot the ramdisk): the next network boot into the deploy
     * claims it, as the agent's per-boot credential is claimed; a network boot without one gets local boot.
     */
    public boolean bootWindowOpen;
    /** What is in the virtual CD drive (the deploy ISO's name); null when empty. */
    public String media;
    /** Deploy whose ramdisk is running, and when it started (epoch ms). */
    public String runningDeploy;
    public long runningSince;
    public String runningImage;
    public String runningChecksum;
    public boolean runningInspect;
    /** The deploy whose simulated ramdisk last reported the hardware, and when (epoch ms); null/0 for none. */
    public String inventoryDeploy;
    public long inventoryAt;
    /** What the disk holds. */
    public String diskDeploy;
    public String diskImage;
    public String diskChecksum;
    /** When the disk's OS was powered on (epoch ms), 0 when not booting it. */
    public long osBootedAt;
    /** The machine does not power off when asked to shut down (for tests of the forced power-off). */
    public boolean ignoresShutdown;
    /** Deploys registered with start(), and the last outcome of each. */
    public java.util.Map<String, String> deployResults = new java.util.HashMap<>();
    /** Every action taken on this machine, {@code <epoch ms> <action> [detail]}; saved with the state, atomically. */
    public java.util.List<String> history = new java.util.ArrayList<>();
}
