package dev.plinth.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DiskImage;
import dev.plinth.core.Decision.Act;
import dev.plinth.core.Decision.Persist;
import dev.plinth.driver.BmcInventory;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;
import dev.plinth.reconcile.NodeEvents;
import dev.plinth.store.NodeEvent;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When the lifecycle reads the BMC's inventory, what it keeps, and what a BMC that cannot tell does to the node. */
class InventoryLifecycleTest {
    private final NodeLifecycle lifecycle = new NodeLifecycle(LifecycleConfig.DEFAULT);
    private final DiskImage centos = Resources.image("centos-9", 'a');
    private final BareMetalNode node = Resources.node("compute-0", 0, "centos-9", true);
    private final NodeInput in = new NodeInput(node.name(), node, centos, ImageAvailability.READY);
    private final Instant now = Instant.parse("2026-12-02T10:00:00Z");

    private static final BmcInventory R650 = new BmcInventory(null, "Dell Inc.", "PowerEdge R650", "7XK2P93",
            "1.9.2", "UEFI", 2, "Intel(R) Xeon(R) Gold 6330", 256L << 30,
            List.of(new BmcInventory.Processor("CPU.Socket.1", "Intel(R) Xeon(R) Gold 6330", 28, 56)),
            List.of(new BmcInventory.Memory("DIMM.A1", 32L << 30)),
            List.of(new BmcInventory.Nic("NIC.Integrated.1-1-1", "b0:7b:25:00:00:01", 25000)),
            List.of(new BmcInventory.Disk("Disk.Bay.0", 960197124096L, "MZ7L3960HCJR", "S6CKNA0T")),
            List.of("Storage/RAID.1/Drives/Disk.Bay.9: HTTP 500"));

    private NodeRecord registering() {
        Decision d = lifecycle.decide(in, null, now);
        return ((Persist) d).next();
    }

    @Test
    void aNewNodesInventoryIsReadOnceBeforeItsPowerAndKept() {
        NodeRecord rec = registering();
        assertThat(lifecycle.decide(in, rec, now)).as("read before anything else is done")
                .isEqualTo(new Act(new Action.ReadInventory()));

        Instant later = now.plusSeconds(2);
        NodeRecord read = lifecycle.apply(rec, new Action.ReadInventory(), new Outcome.Inventoried(R650), later)
                .next();
        assertThat(read.bmcInventory().at()).as("stamped with the lifecycle's time").isEqualTo(later);
        assertThat(read.bmcInventory().model()).isEqualTo("PowerEdge R650");
        assertThat(read.state()).isEqualTo(ProvisioningState.REGISTERING);
        assertThat(read.operation().step()).isEqualTo(Step.CHECK_BMC);
        assertThat(lifecycle.decide(in, read, later)).as("then the power read, as before")
                .isEqualTo(new Act(new Action.CheckPower()));

        NodeEvent e = NodeEvents.between(rec, read.toBuilder().updatedAt(later).build());
        assertThat(e.type()).isEqualTo(NodeEvents.INVENTORY);
        assertThat(e.message()).isEqualTo("read from the BMC: Dell Inc. PowerEdge R650, serial 7XK2P93, 2 CPU(s),"
                + " 262144 MiB, 1 NIC(s), 1 disk(s); not read: Storage/RAID.1/Drives/Disk.Bay.9: HTTP 500");

        // registered, deployed and settled: not read again on any pass
        NodeRecord available = lifecycle.apply(read, new Action.CheckPower(),
                new Outcome.Power(PowerState.OFF, BootDevice.DISK), later).next();
        assertThat(available.state()).isEqualTo(ProvisioningState.AVAILABLE);
        assertThat(available.bmcInventory()).isEqualTo(read.bmcInventory());
        Decision next = lifecycle.decide(in, available, later);
        assertThat(next).isInstanceOf(Persist.class);
        assertThat(((Persist) next).next().state()).isEqualTo(ProvisioningState.PROVISIONING);
    }

    @Test
    void aDriverWithoutInventoryIsAskedOnceAndRecordsNoEvent() {
        NodeRecord rec = registering();
        NodeRecord read = lifecycle.apply(rec, new Action.ReadInventory(), new Outcome.Inventoried(null), now)
                .next();
        assertThat(read.bmcInventory()).isEqualTo(BmcInventory.none(now));
        assertThat(read.bmcInventory().isEmpty()).isTrue();
        assertThat(lifecycle.decide(in, read, now)).isEqualTo(new Act(new Action.CheckPower()));
        assertThat(NodeEvents.between(rec, read)).as("nothing worth a line in the history").isNull();
    }

    @Test
    void aBmcThatAnswersButCannotDescribeTheMachineDoesNotHoldTheNodeUp() {
        NodeRecord rec = registering();
        NodeRecord read = lifecycle.apply(rec, new Action.ReadInventory(),
                Outcome.failed(FailureKind.PROTOCOL, "BMC x: read system answered HTTP 500"), now).next();
        assertThat(read.state()).isEqualTo(ProvisioningState.REGISTERING);
        assertThat(read.operation().attempt()).isZero();
        assertThat(read.bmcInventory().unavailable())
                .containsExactly("inventory: BMC x: read system answered HTTP 500");
        assertThat(lifecycle.decide(in, read, now)).isEqualTo(new Act(new Action.CheckPower()));
    }

    @Test
    void aBmcThatDoesNotAnswerFailsTheStepAsAnyCallWould() {
        NodeRecord rec = registering();
        NodeRecord read = lifecycle.apply(rec, new Action.ReadInventory(),
                Outcome.failed(FailureKind.UNREACHABLE, "no route"), now).next();
        assertThat(read.bmcInventory()).as("not read: asked again after the backoff").isNull();
        assertThat(read.operation().attempt()).isEqualTo(1);
        assertThat(read.operation().notBefore()).isAfter(now);
        assertThat(lifecycle.decide(in, read, read.operation().notBefore()))
                .isEqualTo(new Act(new Action.ReadInventory()));
    }

    @Test
    void aRecordFromBeforeInventoriesIsReadBeforeItsFirstDeployAndWhileItRuns() {
        NodeRecord available = new NodeRecord.Builder(node.name()).bmc(node.spec().bmc())
                .bootMACAddress(node.spec().bootMACAddress()).specFingerprint(in.fingerprint())
                .state(ProvisioningState.AVAILABLE).powerState(PowerState.OFF).checkedAt(now).build();
        assertThat(lifecycle.decide(in, available, now)).as("before the deploy begins")
                .isEqualTo(new Act(new Action.ReadInventory()));
        NodeRecord provisioned = available.toBuilder().state(ProvisioningState.PROVISIONED)
                .image(ImageRef.of(centos)).powerState(PowerState.ON).bootDevice(BootDevice.DISK).build();
        assertThat(lifecycle.decide(in, provisioned, now)).as("reads only: a running machine is not disturbed")
                .isEqualTo(new Act(new Action.ReadInventory()));
        NodeRecord deploying = available.toBuilder().state(ProvisioningState.PROVISIONING)
                .step(Step.WRITE_IMAGE).stepStartedAt(now).deployId("d-1").build();
        assertThat(lifecycle.decide(in, deploying, now)).as("never in the middle of an operation")
                .isNotEqualTo(new Act(new Action.ReadInventory()));
    }

    @Test
    void anotherBmcAddressIsReadAgain() {
        NodeRecord read = lifecycle.apply(registering(), new Action.ReadInventory(), new Outcome.Inventoried(R650),
                now).next();
        BareMetalNode moved = new BareMetalNode(node.metadata(), new dev.plinth.api.BareMetalNodeSpec(
                dev.plinth.api.BmcSpec.of("redfish+https://10.0.0.99/redfish/v1/Systems/1", "bmc-secret", false),
                node.spec().bootMACAddress(), true, null, dev.plinth.api.RootDeviceHints.NONE));
        NodeInput movedIn = new NodeInput(moved.name(), moved, centos, ImageAvailability.READY);
        NodeRecord next = ((Persist) lifecycle.decide(movedIn, read, now)).next();
        assertThat(next.bmc()).isEqualTo(moved.spec().bmc());
        assertThat(next.bmcInventory()).isNull();
        assertThat(lifecycle.decide(movedIn, next, now)).isEqualTo(new Act(new Action.ReadInventory()));
    }

    @Test
    void anInspectionAskedOnDemandReadsTheBmcAgainOnceWhenIdle() {
        NodeRecord read = lifecycle.apply(registering(), new Action.ReadInventory(), new Outcome.Inventoried(R650),
                now).next();
        NodeRecord available = lifecycle.apply(read, new Action.CheckPower(),
                new Outcome.Power(PowerState.OFF, BootDevice.DISK), now).next();
        NodeInput bare = new NodeInput(node.name(), Resources.node("compute-0", 0, null, true), null,
                ImageAvailability.READY);
        NodeRecord idle = available.toBuilder().message(NodeLifecycle.NO_IMAGE).specFingerprint(bare.fingerprint())
                .build();
        assertThat(lifecycle.decide(bare, idle, now.plusSeconds(1))).isInstanceOf(Decision.Wait.class);

        Instant asked = now.plusSeconds(30);
        NodeInput inspect = bare.withInspectRequested(asked);
        assertThat(lifecycle.decide(inspect, idle, asked)).isEqualTo(new Act(new Action.ReadInventory()));
        NodeRecord again = lifecycle.apply(idle, new Action.ReadInventory(), new Outcome.Inventoried(R650),
                asked.plusSeconds(1)).next();
        assertThat(again.bmcInventory().at()).isEqualTo(asked.plusSeconds(1));
        assertThat(lifecycle.decide(inspect, again, asked.plusSeconds(2))).as("served once")
                .isNotEqualTo(new Act(new Action.ReadInventory()));

        // in the middle of an operation it waits for the operation's end
        NodeRecord deploying = idle.toBuilder().state(ProvisioningState.PROVISIONING).step(Step.WRITE_IMAGE)
                .stepStartedAt(now).deployId("d-1").build();
        assertThat(lifecycle.decide(input(centos).withInspectRequested(asked), deploying, asked))
                .isNotEqualTo(new Act(new Action.ReadInventory()));
    }

    private NodeInput input(DiskImage image) {
        return new NodeInput(node.name(), node, image, ImageAvailability.READY);
    }
}
