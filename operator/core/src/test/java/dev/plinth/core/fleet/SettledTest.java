package dev.plinth.core.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.Action;
import dev.plinth.core.Decision;
import dev.plinth.core.ImageAvailability;
import dev.plinth.core.ImageRef;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.core.NodeInput;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.core.Resources;
import dev.plinth.core.Step;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SettledTest {
    static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
    final DiskImage centos = Resources.image("centos-9", 'a');
    final NodeLifecycle lifecycle = new NodeLifecycle(LifecycleConfig.DEFAULT);

    static NodeRecord.Builder record(ProvisioningState state) {
        return new NodeRecord.Builder("compute-0").state(state).powerState(PowerState.ON)
                .bootDevice(BootDevice.DISK).checkedAt(NOW).updatedAt(NOW);
    }

    @Test
    void provisionedWithTheDesiredImageIsSettled() {
        NodeRecord r = record(ProvisioningState.PROVISIONED).image(ImageRef.of(centos)).build();

        assertThat(Settled.settled(r, centos, true)).isTrue();
        assertThat(Settled.settled(r, null, true)).as("Git no longer asks for an image").isFalse();
        assertThat(Settled.settled(r, Resources.image("centos-9", 'b'), true)).as("new checksum").isFalse();
    }

    @Test
    void theSameBytesUnderAnotherNameAreNotSettled() {
        // Status once compared the checksum only and called this settled, while the lifecycle re-provisions it.
        DiskImage renamed = new DiskImage(dev.plinth.api.ObjectMeta.named("centos-9-renamed"), centos.spec());
        NodeRecord r = record(ProvisioningState.PROVISIONED).image(ImageRef.of(centos)).build();

        assertThat(Settled.settled(r, renamed, true)).isFalse();
        assertThat(lifecycleIsIdle(r, renamed, true)).isFalse();
    }

    @Test
    void availableWithNothingToRunIsSettledOnlyWhenNotPoweredOn() {
        assertThat(Settled.settled(record(ProvisioningState.AVAILABLE).powerState(PowerState.OFF).build(), null,
                true)).isTrue();
        assertThat(Settled.settled(record(ProvisioningState.AVAILABLE).powerState(PowerState.ON).build(), null,
                true)).isFalse();
        assertThat(Settled.settled(record(ProvisioningState.AVAILABLE).powerState(PowerState.OFF).build(), centos,
                true)).as("an image waits to be written").isFalse();
    }

    @Test
    void anOperationAnErrorOrACallInFlightUnsettles() {
        NodeRecord good = record(ProvisioningState.PROVISIONED).image(ImageRef.of(centos)).build();

        assertThat(Settled.settled(good.toBuilder().step(Step.CHECK_BMC).build(), centos, true)).isFalse();
        assertThat(Settled.settled(good.toBuilder().errorKind(FailureKind.TIMEOUT).errorMessage("x").build(),
                centos, true)).as("an idle node whose BMC stopped answering").isFalse();
        assertThat(Settled.settled(good.toBuilder().inFlight(new dev.plinth.core.InFlight(dev.plinth.core.InFlight.Call.REBOOT, java.time.Instant.EPOCH)).build(), centos, true)).isFalse();
        assertThat(Settled.settled(good.toBuilder().state(ProvisioningState.ERROR).build(), centos, true)).isFalse();
    }

    @Test
    void powerAndBootDeviceMustBeWhatTheLifecycleWouldLeaveThemAt() {
        NodeRecord on = record(ProvisioningState.PROVISIONED).image(ImageRef.of(centos)).build();

        assertThat(Settled.settled(on, centos, false)).as("online: false, still on").isFalse();
        assertThat(Settled.settled(on.toBuilder().powerState(PowerState.OFF).build(), centos, false)).isTrue();
        assertThat(Settled.settled(on.toBuilder().powerState(PowerState.OFF).build(), centos, true)).isFalse();
        assertThat(Settled.settled(on.toBuilder().bootDevice(BootDevice.PXE).build(), centos, true)).isFalse();
    }

    /** The definition and the lifecycle agree: settled exactly when the lifecycle would only check for drift. */
    @Test
    void settledMeansTheLifecycleHasNothingToDoButDriftChecks() {
        List<NodeRecord> records = new ArrayList<>();
        DiskImage rocky = Resources.image("rocky-9", 'b');
        for (ProvisioningState state : List.of(ProvisioningState.AVAILABLE, ProvisioningState.PROVISIONED)) {
            for (PowerState power : PowerState.values()) {
                for (BootDevice boot : new BootDevice[] {BootDevice.DISK, BootDevice.PXE}) {
                    for (ImageRef image : new ImageRef[] {null, ImageRef.of(centos), ImageRef.of(rocky)}) {
                        records.add(record(state).powerState(power).bootDevice(boot).image(image).build());
                    }
                }
            }
        }
        int settled = 0;
        for (NodeRecord r : records) {
            for (DiskImage desired : new DiskImage[] {null, centos}) {
                for (boolean online : new boolean[] {true, false}) {
                    boolean s = Settled.settled(r, desired, online);
                    settled += s ? 1 : 0;
                    assertThat(s).as("%s wanting %s online=%s", r, desired == null ? null : desired.name(), online)
                            .isEqualTo(lifecycleIsIdle(r, desired, online));
                }
            }
        }
        assertThat(settled).as("some combinations are settled").isPositive();
    }

    @Test
    void convergedWhenEveryDesiredNodeIsSettledAndNoOtherRecordRemains() {
        BareMetalNode a = Resources.node("a", 0, "centos-9", true);
        BareMetalNode b = Resources.node("b", 1, null, true);
        DesiredState d = DesiredState.of("c1", List.of(centos, a, b));
        NodeRecord ra = record(ProvisioningState.PROVISIONED).image(ImageRef.of(centos)).build();
        ra = new NodeRecord.Builder("a").state(ra.state()).image(ra.image()).powerState(PowerState.ON)
                .bootDevice(BootDevice.DISK).build();
        NodeRecord rb = new NodeRecord.Builder("b").state(ProvisioningState.AVAILABLE).powerState(PowerState.OFF)
                .build();
        NodeRecord gone = new NodeRecord.Builder("gone").state(ProvisioningState.DEPROVISIONING)
                .step(Step.POWER_OFF).build();

        assertThat(Settled.converged(d, List.of(ra, rb))).isTrue();
        assertThat(Settled.settled(ra, d)).isTrue();
        assertThat(Settled.converged(d, List.of(ra))).isFalse();
        assertThat(Settled.converged(d, List.of(ra, rb, gone))).isFalse();
        assertThat(Settled.converged(d, List.of(ra, rb.toBuilder().powerState(PowerState.ON).build()))).isFalse();
        assertThat(Settled.settled(gone, d)).isFalse();
    }

    /** Drives the real lifecycle: idle when, after any bookkeeping writes, it only waits or reads power back. */
    private boolean lifecycleIsIdle(NodeRecord r, DiskImage desired, boolean online) {
        BareMetalNode node = Resources.node(r.name(), 0, desired == null ? null : desired.name(), online);
        NodeInput in = new NodeInput(r.name(), node, desired, ImageAvailability.READY);
        NodeRecord rec = r.toBuilder().bmc(node.spec().bmc()).bootMACAddress(node.spec().bootMACAddress())
                .specFingerprint(in.fingerprint())
                // its BMC inventory was read (a one-off read when it was first seen; reading disturbs nothing)
                .bmcInventory(dev.plinth.driver.BmcInventory.none(NOW)).build();
        Decision d = lifecycle.decide(in, rec, NOW);
        for (int i = 0; d instanceof Decision.Persist p && i < 5; i++) {
            if (p.next().state() != rec.state() || p.next().operation().step() != null) {
                return false; // an operation begins or the state moves
            }
            rec = p.next();
            d = lifecycle.decide(in, rec, NOW);
        }
        return d instanceof Decision.Wait
                || (d instanceof Decision.Act a && a.action() instanceof Action.CheckPower);
    }
}
