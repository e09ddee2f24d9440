package dev.plinth.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DiskImage;
import dev.plinth.core.Decision.Act;
import dev.plinth.core.Decision.Persist;
import dev.plinth.core.Decision.Wait;
import dev.plinth.driver.BmcInventory;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;
import dev.plinth.reconcile.NodeEvents;
import dev.plinth.store.NodeEvent;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A running OS is asked to shut down (ACPI) before its machine is powered off or rebooted into the ramdisk, read back
 * until off, and forced off only after the shutdown timeout; each way ends in a Shutdown event saying which.
 */
class ShutdownLifecycleTest {
    private final NodeLifecycle lifecycle = new NodeLifecycle(LifecycleConfig.DEFAULT);
    private final DiskImage centos = Resources.image("centos-9", 'a');
    private final DiskImage rocky = Resources.image("rocky-9", 'b');
    private final BareMetalNode online = Resources.node("compute-0", 0, "centos-9", true);
    private final BareMetalNode offline = Resources.node("compute-0", 0, "centos-9", false);
    private final Instant t0 = Instant.parse("2026-12-02T10:00:00Z");

    private NodeInput input(BareMetalNode n, DiskImage image) {
        return new NodeInput(n.name(), n, image, ImageAvailability.READY);
    }

    /** Provisioned with centos, running (read on at t0), as the lifecycle leaves it. */
    private NodeRecord running() {
        NodeInput in = input(online, centos);
        return new NodeRecord.Builder(online.name()).bmc(online.spec().bmc())
                .bootMACAddress(online.spec().bootMACAddress()).specFingerprint(in.fingerprint()).role("")
                .state(ProvisioningState.PROVISIONED).image(ImageRef.of(centos)).powerState(PowerState.ON)
                .bootDevice(BootDevice.DISK).checkedAt(t0).updatedAt(t0).bmcInventory(BmcInventory.none(t0))
                .build();
    }

    private NodeRecord apply(NodeRecord rec, Action a, Outcome o, Instant at) {
        return lifecycle.apply(rec, a, o, at).next().toBuilder().updatedAt(at).build();
    }

    @Test
    void onlineFalseAsksTheOsToShutDownReadsItBackAndSaysItDid() {
        NodeInput in = input(offline, centos);
        NodeRecord rec = running();
        assertThat(lifecycle.decide(in, rec, t0)).isEqualTo(new Act(new Action.Shutdown()));

        NodeRecord asked = apply(rec, new Action.Shutdown(), Outcome.DONE, t0);
        assertThat(asked.shutdown()).isEqualTo(new NodeRecord.Shutdown(t0, t0.plusSeconds(60)));
        assertThat(asked.power().state()).as("not assumed off: it is only asked").isEqualTo(PowerState.ON);
        NodeEvent e = NodeEvents.between(rec, asked);
        assertThat(e.type()).isEqualTo(NodeEvents.SHUTDOWN);
        assertThat(e.message()).isEqualTo(NodeLifecycle.SHUTTING_DOWN + "60s");

        // read back at once, then every poll interval while it is still on
        assertThat(lifecycle.decide(in, asked, t0)).isEqualTo(new Act(new Action.CheckPower()));
        Instant t3 = t0.plusSeconds(3);
        NodeRecord stillOn = apply(asked, new Action.CheckPower(), new Outcome.Power(PowerState.ON, BootDevice.DISK),
                t3);
        assertThat(stillOn.shutdown()).isEqualTo(asked.shutdown());
        assertThat(lifecycle.decide(in, stillOn, t3.plusSeconds(1)))
                .isEqualTo(new Wait(LifecycleConfig.DEFAULT.pollInterval().minusSeconds(1)));
        Instant t8 = t3.plus(LifecycleConfig.DEFAULT.pollInterval());
        assertThat(lifecycle.decide(in, stillOn, t8)).isEqualTo(new Act(new Action.CheckPower()));

        NodeRecord off = apply(stillOn, new Action.CheckPower(), new Outcome.Power(PowerState.OFF, BootDevice.DISK),
                t8);
        assertThat(off.shutdown()).isNull();
        assertThat(off.power().state()).isEqualTo(PowerState.OFF);
        assertThat(off.power().assumed()).as("read, not commanded").isFalse();
        NodeEvent done = NodeEvents.between(stillOn, off);
        assertThat(done.type()).isEqualTo(NodeEvents.SHUTDOWN);
        assertThat(done.message()).isEqualTo(NodeLifecycle.SHUT_DOWN + "8s");
        // what Git asked for is reached: nothing forced, nothing more to do but take the spec
        Decision next = lifecycle.decide(in, off, t8);
        assertThat(next).isInstanceOf(Persist.class);
        assertThat(((Persist) next).next().specFingerprint()).isEqualTo(in.fingerprint());
    }

    @Test
    void anOsThatDoesNotShutDownIsForcedOffAtTheTimeoutAndTheEventSaysSo() {
        NodeInput in = input(offline, centos);
        NodeRecord asked = apply(running(), new Action.Shutdown(), Outcome.DONE, t0);
        Instant late = t0.plusSeconds(59);
        NodeRecord stillOn = apply(asked, new Action.CheckPower(), new Outcome.Power(PowerState.ON, BootDevice.DISK),
                late);
        assertThat(lifecycle.decide(in, stillOn, late)).as("waits no longer than the deadline")
                .isEqualTo(new Wait(Duration.ofSeconds(1)));
        assertThat(lifecycle.decide(in, stillOn, t0.plusSeconds(60))).isEqualTo(new Act(new Action.PowerOff()));

        NodeRecord forced = apply(stillOn, new Action.PowerOff(), Outcome.DONE, t0.plusSeconds(60));
        assertThat(forced.shutdown()).isNull();
        assertThat(forced.power().state()).isEqualTo(PowerState.OFF);
        NodeEvent e = NodeEvents.between(stillOn, forced);
        assertThat(e.type()).isEqualTo(NodeEvents.SHUTDOWN);
        assertThat(e.message()).isEqualTo("forced off: the OS did not shut down within 60s of being asked");
    }

    @Test
    void aBmcThatCannotAskIsForcedAtOnceSayingWhy() {
        NodeInput in = input(offline, centos);
        NodeRecord rec = running();
        NodeRecord refused = apply(rec, new Action.Shutdown(),
                Outcome.failed(FailureKind.UNSUPPORTED, "system 1 does not offer ResetType GracefulShutdown"), t0);
        assertThat(refused.state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(refused.error().kind()).as("not a failure of the node").isNull();
        assertThat(refused.message()).contains("cannot ask the OS to shut down").contains("GracefulShutdown");
        assertThat(lifecycle.decide(in, refused, t0)).isEqualTo(new Act(new Action.PowerOff()));
        NodeRecord forced = apply(refused, new Action.PowerOff(), Outcome.DONE, t0);
        assertThat(forced.message()).isEqualTo("forced off: the BMC cannot ask the OS to shut down");
    }

    @Test
    void theTimeoutIsConfigurable() {
        NodeLifecycle quick = new NodeLifecycle(LifecycleConfig.DEFAULT.withShutdownTimeout(Duration.ofSeconds(5)));
        NodeRecord asked = quick.apply(running(), new Action.Shutdown(), Outcome.DONE, t0).next();
        assertThat(asked.shutdown().deadline()).isEqualTo(t0.plusSeconds(5));
        assertThat(asked.message()).isEqualTo(NodeLifecycle.SHUTTING_DOWN + "5s");
        assertThat(quick.decide(input(offline, centos), asked, t0.plusSeconds(5)))
                .isEqualTo(new Act(new Action.PowerOff()));
    }

    @Test
    void aReimageOrARemovalShutsTheRunningOsDownBeforeTheRamdiskIsBooted() {
        NodeRecord rec = running();
        NodeInput reimage = input(online, rocky);
        assertThat(lifecycle.decide(reimage, rec, t0)).isEqualTo(new Act(new Action.Shutdown()));
        NodeRecord asked = apply(rec, new Action.Shutdown(), Outcome.DONE, t0);
        // Git changing its mind meanwhile does not interrupt it: it ends first (off, or forced)
        assertThat(lifecycle.decide(input(online, centos), asked, t0)).isEqualTo(new Act(new Action.CheckPower()));
        NodeRecord off = apply(asked, new Action.CheckPower(), new Outcome.Power(PowerState.OFF, BootDevice.DISK),
                t0.plusSeconds(4));
        Decision begin = lifecycle.decide(reimage, off, t0.plusSeconds(4));
        assertThat(((Persist) begin).next().state()).isEqualTo(ProvisioningState.PROVISIONING);

        // removed from Git: wiped, after the same shutdown
        assertThat(lifecycle.decide(NodeInput.removed(online.name()), rec, t0))
                .isEqualTo(new Act(new Action.Shutdown()));
        Decision wipe = lifecycle.decide(NodeInput.removed(online.name()), off, t0.plusSeconds(4));
        assertThat(((Persist) wipe).next().state()).isEqualTo(ProvisioningState.CLEANING);

        // a machine already off has nothing to shut down
        NodeRecord wasOff = rec.toBuilder().powerState(PowerState.OFF).build();
        assertThat(((Persist) lifecycle.decide(reimage, wasOff, t0)).next().state())
                .isEqualTo(ProvisioningState.PROVISIONING);
    }

    @Test
    void theDeploysOwnPowerOffAfterWritingStaysForced() {
        // online: false after a deploy: the ramdisk has powered the machine off itself; no OS runs to be asked
        NodeInput in = input(offline, centos);
        NodeRecord atBootImage = running().toBuilder().state(ProvisioningState.PROVISIONING).image(null)
                .targetImage(ImageRef.of(centos)).step(Step.BOOT_IMAGE).stepStartedAt(t0).deployId("d-1").build();
        assertThat(lifecycle.decide(in, atBootImage, t0)).isEqualTo(new Act(new Action.PowerOff()));
    }
}
