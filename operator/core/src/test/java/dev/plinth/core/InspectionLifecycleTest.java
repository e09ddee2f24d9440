package dev.plinth.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BareMetalNode;
import dev.plinth.core.Action.FinishDeploy;
import dev.plinth.core.Action.ObserveDeploy;
import dev.plinth.core.Action.PrepareDeploy;
import dev.plinth.core.Action.Reboot;
import dev.plinth.core.Action.SetBootDevice;
import dev.plinth.core.Decision.Act;
import dev.plinth.core.Decision.Persist;
import dev.plinth.driver.BmcInventory;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.DeployProgress;
import dev.plinth.driver.DeployRequest;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Inspection on demand through the deploy ramdisk (INSPECTING): when it is made, its steps (the cleaning flow with
 * the instruction inspect), how it ends, fails and resumes after a restart, and when it is refused.
 */
class InspectionLifecycleTest {
    private final NodeLifecycle lifecycle = new NodeLifecycle(LifecycleConfig.DEFAULT);
    private final BareMetalNode bareNode = Resources.node("compute-0", 0, null, true);
    private final NodeInput bare = new NodeInput(bareNode.name(), bareNode, null, ImageAvailability.READY);
    private final Instant t0 = Instant.parse("2026-12-02T10:00:00Z");
    private final Instant asked = t0.plusSeconds(600);

    /** An available node, idle since its registration at t0, BMC inventory read, powered off. */
    private NodeRecord available() {
        return NodeRecord.registering(bareNode.name(), bareNode.spec().bmc(), bareNode.spec().bootMACAddress(),
                bare.fingerprint(), t0).toBuilder().state(ProvisioningState.AVAILABLE).step(null)
                .stepStartedAt(null).bmcInventory(BmcInventory.none(t0)).powerState(PowerState.OFF)
                .checkedAt(asked).message(NodeLifecycle.NO_IMAGE).build();
    }

    private static boolean inspects(Decision d) {
        return d instanceof Persist p && p.next().state() == ProvisioningState.INSPECTING;
    }

    private NodeRecord persisted(NodeInput in, NodeRecord rec, Instant now) {
        Decision d = lifecycle.decide(in, rec, now);
        assertThat(d).isInstanceOf(Persist.class);
        return ((Persist) d).next();
    }

    private NodeRecord acted(NodeInput in, NodeRecord rec, Instant now, Action expected, Outcome outcome) {
        Decision d = lifecycle.decide(in, rec, now);
        assertThat(d).isInstanceOf(Act.class);
        Act a = (Act) d;
        assertThat(a.action()).isEqualTo(expected);
        return lifecycle.apply(a.persistFirst() ? a.intent() : rec, a.action(), outcome, now).next();
    }

    @Test
    void anAvailableNodeBootsTheRamdiskToReportItsHardwareAndIsAvailableAgainWithNothingWritten() {
        NodeInput in = bare.withInspectBoot(asked);
        NodeRecord rec = persisted(in, available(), asked);
        assertThat(rec.state()).isEqualTo(ProvisioningState.INSPECTING);
        assertThat(rec.operation().step()).isEqualTo(Step.PREPARE_INSPECT);
        String id = rec.deploy().id();
        assertThat(id).isNotBlank();

        rec = acted(in, rec, asked, new PrepareDeploy(DeployRequest.inspect(id)), Outcome.DONE);
        assertThat(rec.operation().step()).isEqualTo(Step.INSPECT_BOOT_PXE);
        rec = acted(in, rec, asked, new SetBootDevice(BootDevice.PXE, false), Outcome.DONE);
        assertThat(rec.operation().step()).isEqualTo(Step.BOOT_INSPECT_RAMDISK);
        rec = acted(in, rec, asked, new Reboot(), Outcome.DONE);
        assertThat(rec.operation().step()).isEqualTo(Step.READ_HARDWARE);
        assertThat(rec.operation().inFlight()).isNull();
        rec = acted(in, rec, asked.plusSeconds(5), new ObserveDeploy(id),
                new Outcome.Progress(DeployProgress.of(DeployPhase.DOWNLOADING)));
        assertThat(rec.operation().step()).isEqualTo(Step.READ_HARDWARE);
        rec = acted(in, rec, asked.plusSeconds(10), new ObserveDeploy(id),
                new Outcome.Progress(new DeployProgress(DeployPhase.WRITTEN, 0, 0, "inspected")));
        assertThat(rec.operation().step()).isEqualTo(Step.FINISH_INSPECT);
        rec = acted(in, rec, asked.plusSeconds(10), new FinishDeploy(id, false), Outcome.DONE);
        rec = persisted(in, rec, asked.plusSeconds(10));

        assertThat(rec.state()).isEqualTo(ProvisioningState.AVAILABLE);
        assertThat(rec.operation().step()).isNull();
        assertThat(rec.message()).isEqualTo(NodeLifecycle.INSPECTED);
        assertThat(rec.power().state()).isEqualTo(PowerState.OFF);
        assertThat(rec.image()).as("nothing written: no image").isNull();
        assertThat(rec.error().kind()).isNull();
        assertThat(inspects(lifecycle.decide(in, rec, asked.plusSeconds(11)))).as("served once: not inspected again")
                .isFalse();
    }

    @Test
    void aVirtualMediaNodeBootsTheInspectionFromItsCdAndEjectsIt() {
        BareMetalNode media = withBmc(bareNode, bareNode.spec().bmc().withVirtualMedia(null));
        NodeInput in = new NodeInput(media.name(), media, null, ImageAvailability.READY).withInspectBoot(asked);
        NodeRecord rec = available().toBuilder().bmc(media.spec().bmc()).build();
        rec = persisted(in, rec, asked);
        rec = acted(in, rec, asked, new PrepareDeploy(DeployRequest.inspect(rec.deploy().id())), Outcome.DONE);
        rec = acted(in, rec, asked, new Action.BootFromMedia(), Outcome.DONE);
        assertThat(rec.operation().step()).isEqualTo(Step.BOOT_INSPECT_RAMDISK);
        rec = acted(in, rec, asked, new Reboot(), Outcome.DONE);
        rec = acted(in, rec, asked, new ObserveDeploy(rec.deploy().id()),
                new Outcome.Progress(new DeployProgress(DeployPhase.WRITTEN, 0, 0, "")));
        acted(in, rec, asked, new FinishDeploy(rec.deploy().id(), true), Outcome.DONE);
    }

    private static BareMetalNode withBmc(BareMetalNode n, dev.plinth.api.BmcSpec bmc) {
        return new BareMetalNode(n.metadata(), new dev.plinth.api.BareMetalNodeSpec(bmc,
                n.spec().bootMACAddress(), n.spec().online(), n.spec().image(), n.spec().rootDeviceHints()));
    }

    /** When an inspection boot is made, by the input and the record: one row each. */
    @Test
    void anInspectionBootIsMadeOnlyForAnAcceptedUnservedRequestOfAnIdleNodeWithNothingToRun() {
        record Row(String what, NodeInput in, Function<NodeRecord, NodeRecord> rec, Instant now, boolean boots) {}
        NodeInput withImage = new NodeInput(bareNode.name(), Resources.node("compute-0", 0, "centos-9", true),
                Resources.image("centos-9", 'a'), new ImageAvailability(ImageAvailability.Status.PENDING, "dl"));
        List<Row> rows = List.of(
                new Row("asked after the last operation began", bare.withInspectBoot(asked), r -> r, asked, true),
                new Row("asked, machine found on: asked to shut down first", bare.withInspectBoot(asked),
                        r -> r.toBuilder().powerState(PowerState.ON).build(), asked, false),
                new Row("not asked", bare, r -> r, asked, false),
                new Row("asked before the last operation began (served, or superseded by a deploy or wipe)",
                        bare.withInspectBoot(asked), r -> r.toBuilder().operationStartedAt(asked).build(),
                        asked.plusSeconds(1), false),
                new Row("asked for a time still to come", bare.withInspectBoot(asked), r -> r,
                        asked.minusSeconds(1), false),
                new Row("an image to run (pending): its deploy inventories", withImage.withInspectBoot(asked),
                        r -> r, asked, false));
        for (Row row : rows) {
            NodeRecord rec = row.rec().apply(available());
            Decision d = lifecycle.decide(row.in(), rec, row.now());
            boolean boots = inspects(d);
            assertThat(boots).as(row.what() + ": " + d).isEqualTo(row.boots());
        }
        NodeRecord on = available().toBuilder().powerState(PowerState.ON).build();
        assertThat(lifecycle.decide(bare.withInspectBoot(asked), on, asked))
                .isEqualTo(new Act(new Action.Shutdown()));
    }

    /** Who is refused an inspection boot, and why (the API answers 409 with it). */
    @Test
    void aProvisionedOrBusyNodeIsRefusedSayingWhy() {
        record Row(String what, NodeRecord rec, boolean hasImage, String refusal) {}
        NodeRecord a = available();
        List<Row> rows = List.of(
                new Row("available, idle, nothing to run", a, false, null),
                new Row("provisioned", a.toBuilder().state(ProvisioningState.PROVISIONED).build(), true,
                        "is PROVISIONED: its machine runs its OS and is not rebooted for an inspection"),
                new Row("deploying", a.toBuilder().state(ProvisioningState.PROVISIONING).step(Step.WRITE_IMAGE)
                        .build(), true, "is busy (PROVISIONING/WRITE_IMAGE)"),
                new Row("inspecting", a.toBuilder().state(ProvisioningState.INSPECTING).step(Step.READ_HARDWARE)
                        .build(), false, "is busy (INSPECTING/READ_HARDWARE)"),
                new Row("in error", a.toBuilder().state(ProvisioningState.ERROR).build(), false,
                        "is busy (ERROR)"),
                new Row("available with an image to run", a, true, "has an image to run"));
        for (Row row : rows) {
            String why = NodeLifecycle.inspectBootRefusal(row.rec(), row.hasImage());
            if (row.refusal() == null) {
                assertThat(why).as(row.what()).isNull();
            } else {
                assertThat(why).as(row.what()).contains(row.refusal());
            }
        }
    }

    private NodeRecord inspecting(Step step) {
        return available().toBuilder().state(ProvisioningState.INSPECTING).step(step).stepStartedAt(asked)
                .operationStartedAt(asked).deployId("compute-0-1").deploySerial(1).build();
    }

    @Test
    void aSilentRamdiskFailsTheInspectionToErrorThenAvailableAgainNeverAWipe() {
        NodeInput in = bare.withInspectBoot(asked);
        NodeRecord waiting = inspecting(Step.READ_HARDWARE).toBuilder().deployPhase(DeployPhase.WAITING).build();
        Instant late = asked.plus(LifecycleConfig.DEFAULT.bootTimeout()).plusSeconds(1);
        NodeRecord failed = acted(in, waiting, late, new ObserveDeploy("compute-0-1"),
                new Outcome.Progress(DeployProgress.of(DeployPhase.WAITING)));
        assertThat(failed.state()).isEqualTo(ProvisioningState.ERROR);
        assertThat(failed.error().kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(failed.error().failedOperation()).isEqualTo(ProvisioningState.INSPECTING);
        assertThat(failed.error().message()).contains("READ_HARDWARE").contains("did not report");

        NodeRecord retried = persisted(in, failed, late.plus(Duration.ofHours(1)));
        assertThat(retried.state()).as("available again, not wiped").isEqualTo(ProvisioningState.AVAILABLE);
        assertThat(inspects(lifecycle.decide(in, retried, late.plus(Duration.ofHours(1)))))
                .as("not inspected again unless asked again").isFalse();

        NodeRecord agentFailed = acted(in, inspecting(Step.READ_HARDWARE), asked.plusSeconds(30),
                new ObserveDeploy("compute-0-1"),
                new Outcome.Progress(new DeployProgress(DeployPhase.FAILED, 0, 0, "agent: no network")));
        assertThat(agentFailed.state()).isEqualTo(ProvisioningState.ERROR);
        assertThat(agentFailed.error().kind()).isEqualTo(FailureKind.DEPLOY_FAILED);

        // a BMC that keeps refusing the boot: its retries, then ERROR
        NodeRecord rec = inspecting(Step.INSPECT_BOOT_PXE);
        for (int i = 0; rec.state() == ProvisioningState.INSPECTING; i++) {
            rec = lifecycle.apply(rec, new SetBootDevice(BootDevice.PXE, false),
                    Outcome.failed(FailureKind.UNREACHABLE, "no answer"), asked.plus(Duration.ofHours(i))).next();
        }
        assertThat(rec.state()).isEqualTo(ProvisioningState.ERROR);
        assertThat(rec.error().failedOperation()).isEqualTo(ProvisioningState.INSPECTING);
    }

    /** Killed during the reboot into the ramdisk: read back as a deploy's, table-driven. */
    @Test
    void aRestartDuringTheInspectionBootReadsTheMachineBackBeforeBootingAgain() {
        record Row(PowerState power, DeployPhase phase, Step next) {}
        List<Row> rows = List.of(
                new Row(PowerState.OFF, DeployPhase.WAITING, Step.INSPECT_BOOT_PXE),
                new Row(PowerState.ON, DeployPhase.WAITING, Step.READ_HARDWARE),
                new Row(PowerState.ON, DeployPhase.DOWNLOADING, Step.READ_HARDWARE),
                new Row(PowerState.OFF, DeployPhase.WRITTEN, Step.READ_HARDWARE));
        NodeInput in = bare.withInspectBoot(asked);
        for (Row row : rows) {
            NodeRecord killed = inspecting(Step.BOOT_INSPECT_RAMDISK).toBuilder()
                    .inFlight(new InFlight(InFlight.Call.REBOOT, asked)).build();
            NodeRecord next = acted(in, killed, asked.plusSeconds(60), new Action.Verify("compute-0-1"),
                    new Outcome.Evidence(row.power(), BootDevice.PXE, DeployProgress.of(row.phase()), false));
            assertThat(next.state()).as(row.toString()).isEqualTo(ProvisioningState.INSPECTING);
            assertThat(next.operation().step()).as(row.toString()).isEqualTo(row.next());
            assertThat(next.operation().inFlight()).as(row.toString()).isNull();
            assertThat(next.message()).as(row.toString()).startsWith(NodeLifecycle.RECOVERED);
        }
    }

    @Test
    void aNodeRemovedFromGitWhileInspectedLeavesWithoutAWipe() {
        NodeRecord rec = persisted(NodeInput.removed("compute-0"), inspecting(Step.READ_HARDWARE), asked);
        assertThat(rec.state()).isEqualTo(ProvisioningState.DEPROVISIONING);
        assertThat(rec.operation().step()).isEqualTo(Step.POWER_OFF);
    }
}
