package dev.plinth.core;

import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DeployProgress;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;

/** What came of an {@link Action}: success with whatever it observed, or a failure. */
public sealed interface Outcome {
    record Done() implements Outcome {}

    /**
     * What the BMC read shows, and for a node whose image is unverified the image its running OS proved by a
     * check-in (null when none, or not asked).
     */
    record Power(PowerState state, BootDevice bootDevice, String provenImage) implements Outcome {
        public Power(PowerState state, BootDevice bootDevice) {
            this(state, bootDevice, null);
        }
    }

    /** What {@link Action.ReadInventory} read: null when the driver has no inventory. */
    record Inventoried(dev.plinth.driver.BmcInventory inventory) implements Outcome {}

    record Progress(DeployProgress progress) implements Outcome {}

    record CheckIn(boolean checkedIn) implements Outcome {}

    /** What {@link Action.Verify} read back: the evidence of whether an interrupted call happened. */
    record Evidence(PowerState power, BootDevice bootDevice, DeployProgress deploy, boolean checkedIn)
            implements Outcome {}

    record Failed(FailureKind kind, String message) implements Outcome {}

    Outcome DONE = new Done();

    static Outcome failed(FailureKind kind, String message) {
        return new Failed(kind, message);
    }
}
