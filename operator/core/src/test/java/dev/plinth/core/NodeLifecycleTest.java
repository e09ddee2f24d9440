package dev.plinth.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DiskImage;
import dev.plinth.core.Action.CheckPower;
import dev.plinth.core.Decision.Act;
import dev.plinth.core.Decision.Forget;
import dev.plinth.core.Decision.Persist;
import dev.plinth.core.Decision.Wait;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.DeployProgress;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeLifecycleTest {
    private final NodeLifecycle lifecycle = new NodeLifecycle(LifecycleConfig.DEFAULT);
    private final DiskImage centos = Resources.image("centos-9", 'a');
    private final DiskImage rocky = Resources.image("rocky-9", 'b');
    private final BareMetalNode node = Resources.node("compute-0", 0, "centos-9", true);
    private Instant now = Instant.parse("2026-11-25T10:00:00Z");

    private NodeInput input(BareMetalNode n, DiskImage image) {
        return new NodeInput(n.name(), n, image, ImageAvailability.READY);
    }

    /** Persist decisions are applied as they come; stops at the first Act, Wait or Forget. */
    private record Step(NodeRecord record, Decision decision) {}

    private Step settle(NodeInput in, NodeRecord rec) {
        Decision d = lifecycle.decide(in, rec, now);
        for (int i = 0; (d instanceof Persist || isInventoryRead(d) || isShutdown(rec, d)) && i < 20; i++) {
            // the BMC inventory read of a new node (InventoryLifecycleTest has its own cases): no inventory; a
            // graceful shutdown (ShutdownLifecycleTest): the OS shuts down when asked
            if (d instanceof Persist p) {
                rec = p.next();
            } else if (isInventoryRead(d)) {
                rec = lifecycle.apply(rec, new Action.ReadInventory(), new Outcome.Inventoried(null), now).next();
            } else {
                Action a = ((Act) d).action();
                rec = lifecycle.apply(rec, a, a instanceof Action.Shutdown ? Outcome.DONE
                        : new Outcome.Power(PowerState.OFF, rec.power().bootDevice()), now).next();
            }
            d = lifecycle.decide(in, rec, now);
        }
        return new Step(rec, d);
    }

    /** The decision once the running OS, asked to shut down first, did so (ShutdownLifecycleTest has the cases). */
    private Decision decideAfterShutdown(NodeInput in, NodeRecord rec, Instant at) {
        Decision d = lifecycle.decide(in, rec, at);
        for (int i = 0; isShutdown(rec, d) && i < 5; i++) {
            Action a = ((Act) d).action();
            rec = lifecycle.apply(rec, a, a instanceof Action.Shutdown ? Outcome.DONE
                    : new Outcome.Power(PowerState.OFF, rec.power().bootDevice()), at).next();
            d = lifecycle.decide(in, rec, at);
        }
        return d;
    }

    /** The shutdown of a running OS, or the power reads that follow it. */
    private static boolean isShutdown(NodeRecord rec, Decision d) {
        return d instanceof Act a && (a.action() instanceof Action.Shutdown
                || (rec.shutdown() != null && a.action() instanceof CheckPower));
    }

    private static boolean isInventoryRead(Decision d) {
        return d instanceof Act a && a.action() instanceof Action.ReadInventory;
    }

    private NodeRecord act(NodeRecord rec, Decision d, Outcome outcome) {
        now = now.plusSeconds(3);
        return lifecycle.apply(rec, ((Act) d).action(), outcome, now).next();
    }

    /** The heal of a drifted record: first the drift is stored (healing), then the heal is the next action. */
    private Action heal(NodeInput in, NodeRecord drifted) {
        NodeRecord recorded = ((Persist) lifecycle.decide(in, drifted, now)).next();
        assertThat(recorded.drift().seen()).isTrue();
        assertThat(recorded.drift().action()).isEqualTo(NodeRecord.Drift.HEALING);
        assertThat(recorded.message()).startsWith(NodeLifecycle.DRIFT);
        return ((Act) lifecycle.decide(in, recorded, now)).action();
    }

    private NodeRecord registered(NodeInput in) {
        Step s = settle(in, null);
        assertThat(s.record().state()).isEqualTo(ProvisioningState.REGISTERING);
        assertThat(s.decision()).isEqualTo(new Act(new CheckPower()));
        return act(s.record(), s.decision(), new Outcome.Power(PowerState.OFF, BootDevice.DISK));
    }

    /** Runs a whole provisioning with every driver call succeeding; returns the actions in order. */
    private List<String> provision(NodeInput in, NodeRecord[] holder) {
        List<String> actions = new ArrayList<>();
        NodeRecord rec = holder[0];
        for (int i = 0; i < 40; i++) {
            Step s = settle(in, rec);
            rec = s.record();
            if (rec.state() == ProvisioningState.PROVISIONED || !(s.decision() instanceof Act a)) {
                break;
            }
            actions.add(a.action().label());
            Outcome o = switch (a.action().label()) {
                case "ObserveDeploy" -> new Outcome.Progress(DeployProgress.of(DeployPhase.WRITTEN));
                case "ObserveCheckIn" -> new Outcome.CheckIn(true);
                default -> Outcome.DONE;
            };
            rec = act(rec, s.decision(), o);
        }
        holder[0] = rec;
        return actions;
    }

    @Test
    void newNodeRegistersThroughItsBmcAndBecomesAvailable() {
        NodeRecord rec = registered(input(Resources.node("spare", 1, null, true), null));
        assertThat(rec.state()).isEqualTo(ProvisioningState.AVAILABLE);
        assertThat(rec.power().state()).isEqualTo(PowerState.OFF);
        assertThat(rec.operation().timings()).containsKey(dev.plinth.core.Step.CHECK_BMC);
        assertThat(rec.bmc().credentialsName()).isEqualTo("bmc-spare");
    }

    @Test
    void provisioningRunsEveryStepInOrderAndEndsProvisionedWithTheImage() {
        NodeInput in = input(node, centos);
        NodeRecord[] rec = {registered(in)};
        List<String> actions = provision(in, rec);
        assertThat(actions).containsExactly("PrepareDeploy", "SetBootDevice", "Reboot", "ObserveDeploy",
                "SwitchToLocalBoot", "Reboot", "ObserveCheckIn", "FinishDeploy");
        assertThat(rec[0].state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(rec[0].image()).isEqualTo(ImageRef.of(centos));
        assertThat(rec[0].power().bootDevice()).isEqualTo(BootDevice.DISK);
        assertThat(rec[0].operation().timings()).containsOnlyKeys(dev.plinth.core.Step.PREPARE_DEPLOY,
                dev.plinth.core.Step.SET_BOOT_PXE, dev.plinth.core.Step.BOOT_DEPLOY_RAMDISK,
                dev.plinth.core.Step.WRITE_IMAGE, dev.plinth.core.Step.SET_BOOT_DISK,
                dev.plinth.core.Step.BOOT_IMAGE, dev.plinth.core.Step.AWAIT_CHECK_IN,
                dev.plinth.core.Step.FINISH_DEPLOY);
        assertThat(rec[0].operation().lastMillis()).isPositive();
    }

    @Test
    void theDeployIdIsStoredBeforeTheDeployIsStartedAndDecisionsRepeatAfterARestart() {
        NodeInput in = input(node, centos);
        NodeRecord available = registered(in);
        Decision first = lifecycle.decide(in, available, now);
        assertThat(first).isInstanceOf(Persist.class);
        NodeRecord provisioning = ((Persist) first).next();
        assertThat(provisioning.deploy().id()).startsWith("compute-0-1-");
        Decision act = lifecycle.decide(in, provisioning, now);
        assertThat(act).isInstanceOf(Act.class);
        Action.PrepareDeploy prepare = (Action.PrepareDeploy) ((Act) act).action();
        assertThat(prepare.request().deployId()).isEqualTo(provisioning.deploy().id());
        // a restarted controller decides the same from the same record
        assertThat(lifecycle.decide(in, provisioning, now.plusSeconds(30))).isEqualTo(act);
    }

    @Test
    void aDeployInProgressWaitsAndKeepsProgress() {
        NodeInput in = input(node, centos);
        NodeRecord rec = atStep(in, dev.plinth.core.Step.WRITE_IMAGE);
        Decision d = lifecycle.decide(in, rec, now);
        Transition t = lifecycle.apply(rec, ((Act) d).action(),
                new Outcome.Progress(new DeployProgress(DeployPhase.WRITING, 50, 200, "")), now);
        assertThat(t.requeueAfter()).isEqualTo(LifecycleConfig.DEFAULT.pollInterval());
        assertThat(t.next().operation().step()).isEqualTo(dev.plinth.core.Step.WRITE_IMAGE);
        assertThat(t.next().deploy().bytesWritten()).isEqualTo(50);
        assertThat(t.next().message()).contains("25%");
    }

    private NodeRecord atStep(NodeInput in, dev.plinth.core.Step target) {
        NodeRecord rec = registered(in);
        for (int i = 0; i < 20; i++) {
            Step s = settle(in, rec);
            rec = s.record();
            if (rec.operation().step() == target) {
                return rec;
            }
            rec = act(rec, s.decision(), ((Act) s.decision()).action() instanceof Action.ObserveDeploy
                    ? new Outcome.Progress(DeployProgress.of(DeployPhase.WRITTEN)) : Outcome.DONE);
        }
        throw new AssertionError("never reached " + target);
    }

    @Test
    void aFailedVerificationGoesToErrorAndRetriesWithANewDeployAfterBackoff() {
        NodeInput in = input(node, centos);
        NodeRecord rec = atStep(in, dev.plinth.core.Step.WRITE_IMAGE);
        String firstDeploy = rec.deploy().id();
        Decision d = lifecycle.decide(in, rec, now);
        rec = act(rec, d, new Outcome.Progress(new DeployProgress(DeployPhase.FAILED, 0, 0, "sha256 mismatch")));
        assertThat(rec.state()).isEqualTo(ProvisioningState.ERROR);
        assertThat(rec.error().kind()).isEqualTo(FailureKind.DEPLOY_FAILED);
        assertThat(rec.error().message()).contains("sha256 mismatch");
        assertThat(rec.image()).isNull();
        assertThat(lifecycle.decide(in, rec, now)).isInstanceOf(Wait.class);

        now = rec.operation().notBefore().plusMillis(1);
        Step retry = settle(in, rec);
        assertThat(retry.record().state()).isEqualTo(ProvisioningState.PROVISIONING);
        assertThat(retry.record().deploy().id()).isNotEqualTo(firstDeploy);
        assertThat(retry.record().error().count()).isEqualTo(1);
    }

    @Test
    void retryableFailuresBackOffThenFailTheOperation() {
        NodeInput in = input(node, centos);
        NodeRecord rec = atStep(in, dev.plinth.core.Step.SET_BOOT_PXE);
        List<Duration> delays = new ArrayList<>();
        for (int i = 1; i < LifecycleConfig.DEFAULT.stepAttempts(); i++) {
            Decision d = lifecycle.decide(in, rec, now);
            Transition t = lifecycle.apply(rec, ((Act) d).action(),
                    Outcome.failed(FailureKind.UNREACHABLE, "no answer"), now);
            rec = t.next();
            delays.add(t.requeueAfter());
            assertThat(rec.state()).isEqualTo(ProvisioningState.PROVISIONING);
            assertThat(lifecycle.decide(in, rec, now)).isInstanceOf(Wait.class);
            now = rec.operation().notBefore();
        }
        assertThat(delays).isSorted().doesNotHaveDuplicates();
        Decision d = lifecycle.decide(in, rec, now);
        rec = lifecycle.apply(rec, ((Act) d).action(), Outcome.failed(FailureKind.UNREACHABLE, "no answer"), now)
                .next();
        assertThat(rec.state()).isEqualTo(ProvisioningState.ERROR);
        assertThat(rec.error().failedOperation()).isEqualTo(ProvisioningState.PROVISIONING);
    }

    @Test
    void aWrongPasswordFailsRegistrationAtOnceWithoutRetryStorm() {
        NodeInput in = input(node, centos);
        Step s = settle(in, null);
        NodeRecord rec = act(s.record(), s.decision(),
                Outcome.failed(FailureKind.AUTHENTICATION, "BMC rejected the credentials"));
        assertThat(rec.state()).isEqualTo(ProvisioningState.ERROR);
        assertThat(rec.error().kind()).isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(Duration.between(now, rec.operation().notBefore())).isGreaterThanOrEqualTo(LifecycleConfig.DEFAULT.errorBackoff());
    }

    @Test
    void aSpecChangeRetriesAnErrorAtOnceAndResetsTheErrorCount() {
        NodeInput in = input(node, centos);
        Step s = settle(in, null);
        NodeRecord rec = act(s.record(), s.decision(), Outcome.failed(FailureKind.AUTHENTICATION, "rejected"));
        BareMetalNode fixed = new BareMetalNode(node.metadata(), new dev.plinth.api.BareMetalNodeSpec(
                new dev.plinth.api.BmcSpec(node.spec().bmc().address(), "bmc-other", false),
                node.spec().bootMACAddress(), true, node.spec().image(), node.spec().rootDeviceHints()));
        Step retry = settle(input(fixed, centos), rec);
        assertThat(retry.record().state()).isEqualTo(ProvisioningState.REGISTERING);
        assertThat(retry.record().error().count()).isZero();
        assertThat(retry.decision()).isInstanceOf(Act.class);
    }

    /**
     * Runs steps with every driver call succeeding while the node is CLEANING; returns the actions in order and
     * leaves the first record past the wipe in {@code holder}.
     */
    private List<String> wipe(NodeInput in, NodeRecord[] holder) {
        List<String> actions = new ArrayList<>();
        NodeRecord rec = holder[0];
        for (int i = 0; i < 20; i++) {
            Step s = settle(in, rec);
            rec = s.record();
            if (rec.state() != ProvisioningState.CLEANING || !(s.decision() instanceof Act a)) {
                break;
            }
            actions.add(a.action() instanceof Action.PrepareDeploy p
                    ? "PrepareDeploy wipe=" + p.request().wipe() : a.action().label());
            rec = act(rec, s.decision(), a.action() instanceof Action.ObserveDeploy
                    ? new Outcome.Progress(DeployProgress.of(DeployPhase.WRITTEN)) : Outcome.DONE);
        }
        holder[0] = rec;
        return actions;
    }

    private BareMetalNode mediaNode() {
        var spec = node.spec();
        var bmc = dev.plinth.api.BmcSpec.of("redfish+https://10.0.0.1/redfish/v1/Systems/1", "bmc-compute-0", false)
                .withVirtualMedia(new dev.plinth.api.DeployNetwork("192.0.2.10/24", null));
        return new BareMetalNode(node.metadata(), new dev.plinth.api.BareMetalNodeSpec(bmc, spec.bootMACAddress(),
                spec.online(), spec.image(), spec.rootDeviceHints()));
    }

    @Test
    void aVirtualMediaNodeBootsItsRamdiskFromTheIsoAndEjectsItBeforeTheDiskBoots() {
        NodeInput in = input(mediaNode(), centos);
        NodeRecord[] rec = {registered(in)};
        List<String> actions = provision(in, rec);
        assertThat(actions).containsExactly("PrepareDeploy", "BootFromMedia", "Reboot", "ObserveDeploy",
                "SwitchToLocalBoot", "Reboot", "ObserveCheckIn", "FinishDeploy");
        assertThat(rec[0].state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(rec[0].power().bootDevice()).isEqualTo(BootDevice.DISK);

        // step by step: the CD once before the ramdisk, ejected at the switch to the disk
        Step prepare = settle(in, registered(in));
        assertThat(((Act) prepare.decision()).action()).isInstanceOf(Action.PrepareDeploy.class);
        NodeRecord setBoot = act(prepare.record(), prepare.decision(), Outcome.DONE);
        assertThat(setBoot.operation().step()).isEqualTo(dev.plinth.core.Step.SET_BOOT_PXE);
        Decision boot = lifecycle.decide(in, setBoot, now);
        assertThat(boot).isEqualTo(new Act(new Action.BootFromMedia()));
        NodeRecord booted = act(setBoot, boot, Outcome.DONE);
        assertThat(booted.power().bootDevice()).isEqualTo(BootDevice.CD);
        assertThat(booted.operation().step()).isEqualTo(dev.plinth.core.Step.BOOT_DEPLOY_RAMDISK);
        NodeRecord toDisk = booted.toBuilder().step(dev.plinth.core.Step.SET_BOOT_DISK).build();
        assertThat(lifecycle.decide(in, toDisk, now)).isEqualTo(new Act(new Action.SwitchToLocalBoot(true)));
        // a network-booting node ejects nothing
        NodeInput pxe = input(node, centos);
        NodeRecord pxeToDisk = toDisk.toBuilder().bmc(node.spec().bmc()).build();
        assertThat(lifecycle.decide(pxe, pxeToDisk, now)).isEqualTo(new Act(new Action.SwitchToLocalBoot(false)));
    }

    @Test
    void aVirtualMediaNodeRemovedFromGitIsWipedFromTheIsoWhichIsEjectedAtTheEnd() {
        NodeInput in = input(mediaNode(), centos);
        NodeRecord[] rec = {registered(in)};
        provision(in, rec);
        NodeInput gone = NodeInput.removed(node.name());
        // the record remembers how the machine boots: the spec is gone
        assertThat(wipe(gone, rec)).containsExactly("PrepareDeploy wipe=true", "BootFromMedia", "Reboot",
                "ObserveDeploy", "FinishDeploy");
        NodeRecord finishing = rec[0].toBuilder().state(ProvisioningState.CLEANING)
                .step(dev.plinth.core.Step.FINISH_CLEAN).build();
        Action finish = ((Act) lifecycle.decide(gone, finishing, now)).action();
        assertThat(finish).isEqualTo(new Action.FinishDeploy(finishing.deploy().id(), true));
    }

    @Test
    void aNodeRemovedFromGitIsWipedPoweredOffCleanedUpAndForgotten() {
        NodeInput in = input(node, centos);
        NodeRecord[] rec = {registered(in)};
        provision(in, rec);
        NodeInput gone = NodeInput.removed(node.name());
        assertThat(settle(gone, rec[0]).record().state()).isEqualTo(ProvisioningState.CLEANING);
        assertThat(wipe(gone, rec)).containsExactly("PrepareDeploy wipe=true", "SetBootDevice", "Reboot",
                "ObserveDeploy", "FinishDeploy");
        Step s = settle(gone, rec[0]);
        assertThat(s.record().state()).isEqualTo(ProvisioningState.DEPROVISIONING);
        assertThat(s.record().image()).as("the disk was wiped").isNull();
        assertThat(((Act) s.decision()).action()).isInstanceOf(Action.PowerOff.class);
        NodeRecord off = act(s.record(), s.decision(), Outcome.DONE);
        assertThat(off.power().state()).isEqualTo(PowerState.OFF);
        Step clean = settle(gone, off);
        assertThat(((Act) clean.decision()).action()).isInstanceOf(Action.CleanUp.class);
        NodeRecord cleaned = act(clean.record(), clean.decision(), Outcome.DONE);
        assertThat(lifecycle.decide(gone, cleaned, now)).isInstanceOf(Forget.class);
    }

    @Test
    void aNodeWhoseImageIsRemovedIsWipedBeforeItIsAvailableAgain() {
        NodeInput in = input(node, centos);
        NodeRecord[] rec = {registered(in)};
        provision(in, rec);
        BareMetalNode noImage = Resources.node("compute-0", 0, null, true);
        NodeInput none = input(noImage, null);
        assertThat(wipe(none, rec)).startsWith("PrepareDeploy wipe=true").endsWith("FinishDeploy");
        Step s = settle(none, rec[0]);
        assertThat(s.record().state()).isEqualTo(ProvisioningState.AVAILABLE);
        assertThat(s.record().message()).isEqualTo(NodeLifecycle.NO_IMAGE);
        assertThat(s.record().operation().timings()).containsKeys(dev.plinth.core.Step.PREPARE_CLEAN,
                dev.plinth.core.Step.WIPE_DISKS, dev.plinth.core.Step.FINISH_CLEAN);
    }

    @Test
    void aFailedWipeIsMadeAgainEvenWhenTheNodeIsBackInGit() {
        NodeInput in = input(node, centos);
        NodeRecord[] rec = {registered(in)};
        provision(in, rec);
        NodeInput gone = NodeInput.removed(node.name());
        Step s = settle(gone, rec[0]);
        NodeRecord failed = act(s.record(), s.decision(), Outcome.failed(FailureKind.DEPLOY_FAILED, "no ramdisk"));
        assertThat(failed.state()).isEqualTo(ProvisioningState.ERROR);
        assertThat(failed.error().failedOperation()).isEqualTo(ProvisioningState.CLEANING);
        assertThat(lifecycle.decide(gone, failed, now)).isInstanceOf(Wait.class);
        now = failed.operation().notBefore().plusMillis(1);
        Step back = settle(in, failed);
        assertThat(back.record().state()).as("its disks may still hold the last tenant")
                .isEqualTo(ProvisioningState.CLEANING);
        assertThat(((Act) back.decision()).action()).isInstanceOf(Action.PrepareDeploy.class);
    }

    @Test
    void aNodeRemovedBeforeItRegisteredIsForgottenWithoutTouchingIt() {
        Step s = settle(input(node, centos), null);
        assertThat(lifecycle.decide(NodeInput.removed(node.name()), s.record(), now)).isInstanceOf(Forget.class);
    }

    @Test
    void aFailedDeployLeavesThePowerUnknownNotWhatTheRebootAskedFor() {
        NodeInput in = input(node, centos);
        NodeRecord rec = atStep(in, dev.plinth.core.Step.WRITE_IMAGE);
        // registration read the power (OFF); the reboot into the ramdisk only asked for ON
        Instant readAt = rec.power().checkedAt();
        assertThat(readAt).isNotNull();
        Decision d = lifecycle.decide(in, rec, now);
        rec = act(rec, d, new Outcome.Progress(new DeployProgress(DeployPhase.FAILED, 0, 0, "sha256 mismatch")));
        assertThat(rec.state()).isEqualTo(ProvisioningState.ERROR);
        // the ramdisk may have powered the machine off, or hung: nobody looked
        assertThat(rec.power().state()).isEqualTo(PowerState.UNKNOWN);
        assertThat(rec.power().checkedAt()).isEqualTo(readAt);
        assertThat(NodeStatusMapper.toStatus(rec).power()).isEqualTo("UNKNOWN");
    }

    @Test
    void provisionedNodesHealPowerAndBootDeviceDrift() {
        NodeInput in = input(node, centos);
        NodeRecord[] rec = {registered(in)};
        provision(in, rec);
        NodeRecord off = rec[0].toBuilder().powerState(PowerState.OFF).build();
        assertThat(heal(in, off)).isInstanceOf(Action.PowerOn.class);

        // Git asking for it is a change, not drift: acted on at once
        BareMetalNode offline = Resources.node("compute-0", 0, "centos-9", false);
        assertThat(((Act) lifecycle.decide(input(offline, centos), rec[0], now)).action())
                .as("its OS asked to shut down first (ShutdownLifecycleTest)").isInstanceOf(Action.Shutdown.class);

        NodeRecord pxe = rec[0].toBuilder().bootDevice(BootDevice.PXE).build();
        assertThat(heal(in, pxe)).isEqualTo(new Action.SetBootDevice(BootDevice.DISK, true));

        assertThat(lifecycle.decide(in, rec[0], now)).isInstanceOf(Wait.class);
        assertThat(((Act) lifecycle.decide(in, rec[0], now.plus(LifecycleConfig.DEFAULT.driftInterval())))
                .action()).isInstanceOf(CheckPower.class);
    }

    @Test
    void aNewImageReprovisionsOnlyOnceItIsReady() {
        NodeInput in = input(node, centos);
        NodeRecord[] rec = {registered(in)};
        provision(in, rec);
        NodeInput pending = new NodeInput(node.name(), node, rocky,
                new ImageAvailability(ImageAvailability.Status.PENDING, "downloading"));
        Step s = settle(pending, rec[0]);
        assertThat(s.record().state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(s.record().message()).contains("keeps image centos-9").contains("downloading");
        Step go = settle(input(node, rocky), s.record());
        assertThat(go.record().state()).isEqualTo(ProvisioningState.PROVISIONING);
        assertThat(go.record().deploy().targetImage()).isEqualTo(ImageRef.of(rocky));
        assertThat(go.record().deploy().serial()).isEqualTo(2);
    }

    @Test
    void aDeployThatNeverFinishesTimesOut() {
        NodeInput in = input(node, centos);
        NodeRecord rec = atStep(in, dev.plinth.core.Step.WRITE_IMAGE);
        now = now.plus(LifecycleConfig.DEFAULT.writeTimeout()).plusSeconds(1);
        Step s = settle(in, rec);
        assertThat(s.record().state()).isEqualTo(ProvisioningState.ERROR);
        assertThat(s.record().error().kind()).isEqualTo(FailureKind.TIMEOUT);
    }

    @Test
    void anOfflineNodeIsWrittenThenLeftOffWithoutWaitingForCheckIn() {
        BareMetalNode offline = Resources.node("compute-0", 0, "centos-9", false);
        NodeInput in = input(offline, centos);
        NodeRecord[] rec = {registered(in)};
        List<String> actions = provision(in, rec);
        assertThat(actions).containsExactly("PrepareDeploy", "SetBootDevice", "Reboot", "ObserveDeploy",
                "SwitchToLocalBoot", "PowerOff", "FinishDeploy");
        assertThat(rec[0].state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(rec[0].power().state()).isEqualTo(PowerState.OFF);
    }

    @Test
    void aNodeWhoseRoleAsksNoCheckInIsDoneOnceRebootedIntoItsDisk() {
        NodeInput in = new NodeInput(node.name(), node, centos, ImageAvailability.READY,
                dev.plinth.api.DriftPolicy.HEAL, "oc/compute", DisruptionGate.FREE, false);
        NodeRecord[] rec = {registered(in)};
        List<String> actions = provision(in, rec);
        assertThat(actions).containsExactly("PrepareDeploy", "SetBootDevice", "Reboot", "ObserveDeploy",
                "SwitchToLocalBoot", "Reboot", "FinishDeploy");
        assertThat(rec[0].state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(rec[0].power().state()).isEqualTo(PowerState.ON);
        assertThat(rec[0].image()).isEqualTo(ImageRef.of(centos));
    }

    @Test
    void anAvailableNodeWithoutImageIsKeptOff() {
        BareMetalNode spare = Resources.node("spare", 1, null, true);
        NodeInput in = input(spare, null);
        NodeRecord rec = registered(in).toBuilder().powerState(PowerState.ON).build();
        Step s = settle(in, rec);
        assertThat(s.record().message()).contains("no image");
        assertThat(s.record().power().state()).as("whatever ran was asked to shut down, and did")
                .isEqualTo(PowerState.OFF);
    }

    @Test
    void aCrashDuringARebootIsNotFollowedByASecondReboot() {
        NodeInput in = input(node, centos);
        NodeRecord rec = atStep(in, dev.plinth.core.Step.BOOT_DEPLOY_RAMDISK);
        Decision d = lifecycle.decide(in, rec, now);
        Action reboot = ((Act) d).action();
        assertThat(reboot).isInstanceOf(Action.Reboot.class);
        // the decision itself carries the intent to persist before the call
        assertThat(((Act) d).persistFirst()).isTrue();
        NodeRecord intent = ((Act) d).intent();
        assertThat(intent.operation().inFlight()).isEqualTo(new InFlight(InFlight.Call.REBOOT, now));
        assertThat(intent.toBuilder().inFlight(null).build()).isEqualTo(rec);
        // the controller dies here; the restarted one finds the intent and reads the machine back (a read: no intent)
        Step found = settle(in, intent);
        assertThat(((Act) found.decision()).action()).isEqualTo(new Action.Verify(rec.deploy().id()));
        assertThat(((Act) found.decision()).persistFirst()).isFalse();
        // the ramdisk reported: the reboot happened, so it watches instead of rebooting again
        NodeRecord verified = act(found.record(), found.decision(), evidence(PowerState.ON, DeployPhase.WRITING, false));
        Step resumed = settle(in, verified);
        assertThat(resumed.record().operation().step()).isEqualTo(dev.plinth.core.Step.WRITE_IMAGE);
        assertThat(resumed.record().operation().inFlight()).isNull();
        assertThat(((Act) resumed.decision()).action()).isInstanceOf(Action.ObserveDeploy.class);
        assertThat(resumed.record().message()).startsWith(NodeLifecycle.RECOVERED).contains("reported (writing)");
        // idempotent calls need no intent
        assertThat(((Act) resumed.decision()).persistFirst()).isFalse();
    }

    @Test
    void aRebootThatTimedOutMayHaveHappenedSoItIsReadBackNotRepeated() {
        NodeInput in = input(node, centos);
        NodeRecord intent = killedDuringTheRebootOf(in, dev.plinth.core.Step.BOOT_DEPLOY_RAMDISK);
        // the BMC took the request but its answer was lost: the machine may be booting the ramdisk right now
        Transition t = lifecycle.apply(intent, new Action.Reboot(),
                Outcome.failed(FailureKind.UNREACHABLE, "no answer within 5 s"), now);
        assertThat(t.next().operation().inFlight()).isEqualTo(intent.operation().inFlight());
        assertThat(t.next().state()).isEqualTo(ProvisioningState.PROVISIONING);
        now = now.plus(t.requeueAfter());
        Decision next = lifecycle.decide(in, t.next(), now);
        assertThat(((Act) next).action()).isEqualTo(new Action.Verify(intent.deploy().id()));
        // the ramdisk reports: the reboot did happen, and is not made a second time
        NodeRecord verified = act(t.next(), next, evidence(PowerState.ON, DeployPhase.DOWNLOADING, false));
        assertThat(verified.operation().step()).isEqualTo(dev.plinth.core.Step.WRITE_IMAGE);
        assertThat(verified.operation().inFlight()).isNull();

        // a refusal is no doubt: the BMC did not act, the intent goes, and the step fails as before
        Transition refused = lifecycle.apply(intent, new Action.Reboot(),
                Outcome.failed(FailureKind.AUTHENTICATION, "rejected the credentials"), now);
        assertThat(refused.next().operation().inFlight()).isNull();
        assertThat(refused.next().state()).isEqualTo(ProvisioningState.ERROR);
    }

    private static Outcome evidence(PowerState power, DeployPhase phase, boolean checkedIn) {
        return new Outcome.Evidence(power, null, DeployProgress.of(phase), checkedIn);
    }

    /** The record a restarted controller finds after it was killed during the reboot of {@code step}. */
    private NodeRecord killedDuringTheRebootOf(NodeInput in, dev.plinth.core.Step step) {
        NodeRecord rec = atStep(in, step);
        Act reboot = (Act) lifecycle.decide(in, rec, now);
        assertThat(reboot.action()).isInstanceOf(Action.Reboot.class);
        return reboot.intent();
    }

    @Test
    void aRebootIntoTheRamdiskFoundInFlightWithTheMachineOffAndTheRamdiskSilentIsMadeAgain() {
        NodeInput in = input(node, centos);
        NodeRecord intent = killedDuringTheRebootOf(in, dev.plinth.core.Step.BOOT_DEPLOY_RAMDISK);
        Decision verify = lifecycle.decide(in, intent, now);
        NodeRecord lost = act(intent, verify, evidence(PowerState.OFF, DeployPhase.WAITING, false));
        assertThat(lost.operation().inFlight()).isNull();
        assertThat(lost.power().state()).isEqualTo(PowerState.OFF); // status shows the machine as it is
        assertThat(lost.message()).startsWith(NodeLifecycle.RECOVERED).contains("did not happen").contains("off");
        // network boot is set again (a BMC forgets a one-time boot device), then the reboot is made again
        assertThat(lost.operation().step()).isEqualTo(dev.plinth.core.Step.SET_BOOT_PXE);
        Step s = settle(in, lost);
        assertThat(((Act) s.decision()).action()).isEqualTo(new Action.SetBootDevice(BootDevice.PXE, false));
        NodeRecord pxe = act(s.record(), s.decision(), Outcome.DONE);
        Act again = (Act) lifecycle.decide(in, pxe, now);
        assertThat(again.action()).isInstanceOf(Action.Reboot.class);
        assertThat(again.persistFirst()).isTrue();
        assertThat(pxe.deploy().id()).isEqualTo(intent.deploy().id()); // the same deploy: nothing ran yet
    }

    @Test
    void aRebootIntoTheRamdiskFoundInFlightAfterTheRamdiskFinishedIsNotMadeAgain() {
        NodeInput in = input(node, centos);
        NodeRecord intent = killedDuringTheRebootOf(in, dev.plinth.core.Step.BOOT_DEPLOY_RAMDISK);
        // off, because the ramdisk wrote the image and powered off while no controller ran
        NodeRecord rec = act(intent, lifecycle.decide(in, intent, now),
                evidence(PowerState.OFF, DeployPhase.WRITTEN, false));
        assertThat(rec.operation().step()).isEqualTo(dev.plinth.core.Step.WRITE_IMAGE);
        Step s = settle(in, rec);
        assertThat(((Act) s.decision()).action()).isInstanceOf(Action.ObserveDeploy.class);
    }

    @Test
    void aRebootIntoTheRamdiskFoundInFlightWithTheMachineOnIsWatchedAndASilentBootIsMadeAgainAfterTheBootTimeout() {
        NodeInput in = input(node, centos);
        NodeRecord intent = killedDuringTheRebootOf(in, dev.plinth.core.Step.BOOT_DEPLOY_RAMDISK);
        // on: rebooted and still in firmware, or never rebooted and running what it ran before; no way to tell
        NodeRecord watched = act(intent, lifecycle.decide(in, intent, now),
                evidence(PowerState.ON, DeployPhase.WAITING, false));
        assertThat(watched.operation().step()).isEqualTo(dev.plinth.core.Step.WRITE_IMAGE);
        assertThat(watched.operation().inFlight()).isNull();
        assertThat(watched.message()).contains("booting again if it stays silent for PT5M");
        Outcome silent = new Outcome.Progress(DeployProgress.of(DeployPhase.WAITING));
        // within the boot timeout a silent ramdisk is waited for
        Transition early = lifecycle.apply(watched, ((Act) lifecycle.decide(in, watched, now)).action(), silent,
                now.plus(LifecycleConfig.DEFAULT.bootTimeout()).minusSeconds(10));
        assertThat(early.next().operation().step()).isEqualTo(dev.plinth.core.Step.WRITE_IMAGE);
        // past it, long before the write timeout, the boot is made again from network boot
        NodeRecord rec = watched;
        List<Duration> boots = new ArrayList<>();
        Instant first = now;
        for (int boot = 2; rec.state() == ProvisioningState.PROVISIONING; boot++) {
            now = now.plus(LifecycleConfig.DEFAULT.bootTimeout()).plusSeconds(1);
            rec = lifecycle.apply(rec, ((Act) lifecycle.decide(in, rec, now)).action(), silent, now).next();
            if (rec.state() != ProvisioningState.PROVISIONING) {
                break;
            }
            assertThat(rec.operation().step()).isEqualTo(dev.plinth.core.Step.SET_BOOT_PXE);
            assertThat(rec.message()).contains("did not report within PT5M").contains("boot " + boot + " of at most 5");
            Step s = settle(in, rec);
            rec = act(s.record(), s.decision(), Outcome.DONE); // network boot set
            Act reboot = (Act) lifecycle.decide(in, rec, now);
            assertThat(reboot.action()).isInstanceOf(Action.Reboot.class);
            rec = act(reboot.intent(), reboot, Outcome.DONE);
            boots.add(Duration.between(first, now));
        }
        // bounded: after stepAttempts silent boots the operation fails, to be retried whole after a backoff
        assertThat(boots).hasSize(LifecycleConfig.DEFAULT.stepAttempts() - 1);
        assertThat(boots.get(0)).isLessThan(LifecycleConfig.DEFAULT.writeTimeout());
        assertThat(rec.state()).isEqualTo(ProvisioningState.ERROR);
        assertThat(rec.error().kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(rec.error().message()).contains("5 boots in a row");
    }

    @Test
    void aRebootIntoTheWrittenDiskFoundInFlightIsMadeAgainOnlyWhenTheMachineIsOff() {
        NodeInput in = input(node, centos);
        NodeRecord intent = killedDuringTheRebootOf(in, dev.plinth.core.Step.BOOT_IMAGE);
        NodeRecord lost = act(intent, lifecycle.decide(in, intent, now), evidence(PowerState.OFF, DeployPhase.WRITTEN, false));
        assertThat(lost.operation().step()).isEqualTo(dev.plinth.core.Step.BOOT_IMAGE);
        assertThat(lost.message()).contains("did not happen");
        assertThat(((Act) lifecycle.decide(in, lost, now)).action()).isInstanceOf(Action.Reboot.class);

        NodeRecord on = act(intent, lifecycle.decide(in, intent, now), evidence(PowerState.ON, DeployPhase.WRITTEN, false));
        assertThat(on.operation().step()).isEqualTo(dev.plinth.core.Step.AWAIT_CHECK_IN);
        assertThat(((Act) lifecycle.decide(in, on, now)).action()).isInstanceOf(Action.ObserveCheckIn.class);
    }

    @Test
    void aFailedReadBackKeepsTheIntentAndIsRetried() {
        NodeInput in = input(node, centos);
        NodeRecord intent = killedDuringTheRebootOf(in, dev.plinth.core.Step.BOOT_DEPLOY_RAMDISK);
        Transition t = lifecycle.apply(intent, ((Act) lifecycle.decide(in, intent, now)).action(),
                Outcome.failed(FailureKind.UNREACHABLE, "no answer"), now);
        assertThat(t.next().operation().inFlight()).isEqualTo(intent.operation().inFlight());
        assertThat(lifecycle.decide(in, t.next(), now)).isInstanceOf(Wait.class);
        assertThat(((Act) lifecycle.decide(in, t.next(), t.next().operation().notBefore())).action())
                .isInstanceOf(Action.Verify.class);
    }

    @Test
    void aNodeThatFailedToLeaveAndIsBackInGitRegistersAgain() {
        NodeInput in = input(node, centos);
        NodeRecord[] rec = {registered(in)};
        provision(in, rec);
        NodeInput gone = NodeInput.removed(node.name());
        wipe(gone, rec);
        Step leaving = settle(gone, rec[0]);
        NodeRecord failed = act(leaving.record(), leaving.decision(),
                Outcome.failed(FailureKind.AUTHENTICATION, "rejected"));
        assertThat(failed.state()).isEqualTo(ProvisioningState.ERROR);
        assertThat(failed.error().failedOperation()).isEqualTo(ProvisioningState.DEPROVISIONING);
        // still gone: it keeps trying to leave after the backoff
        now = failed.operation().notBefore().plusMillis(1);
        assertThat(settle(gone, failed).record().state()).isEqualTo(ProvisioningState.DEPROVISIONING);
        // back in Git: it is registered again rather than powered off
        Step back = settle(in, failed);
        assertThat(back.record().state()).isEqualTo(ProvisioningState.REGISTERING);
        assertThat(((Act) back.decision()).action()).isInstanceOf(CheckPower.class);
    }

    // --- adoption: a controller without a record finds the machine running ---------------------------------------

    private NodeRecord registeredFinding(NodeInput in, Outcome.Power found) {
        Step s = settle(in, null);
        assertThat(s.decision()).isEqualTo(new Act(new CheckPower()));
        return act(s.record(), s.decision(), found);
    }

    @Test
    void aMachineFoundOnAndBootingFromDiskIsAdoptedWithItsImageUnverifiedAndNoPowerAction() {
        NodeInput in = input(node, centos);
        NodeRecord rec = registeredFinding(in, new Outcome.Power(PowerState.ON, BootDevice.DISK));
        assertThat(rec.state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(rec.image()).isEqualTo(ImageRef.of(centos));
        assertThat(rec.imageUnverified()).isTrue();
        assertThat(rec.power().state()).isEqualTo(PowerState.ON);
        assertThat(rec.power().assumed()).isFalse();
        assertThat(rec.message()).isEqualTo(NodeLifecycle.ADOPTED);
        assertThat(NodeStatusMapper.toStatus(rec).imageVerified()).isFalse();
        assertThat(NodeStatusMapper.toStatus(rec).image()).isEqualTo("centos-9");
        // no record is no evidence: the node is left running, only read again on the drift interval
        assertThat(lifecycle.decide(in, rec, now)).isInstanceOf(Wait.class);
        Decision later = lifecycle.decide(in, rec, now.plus(LifecycleConfig.DEFAULT.driftInterval()));
        assertThat(((Act) later).action()).as("the drift check also asks for a proof").isEqualTo(new CheckPower(true));
        NodeRecord checked = act(rec, later, new Outcome.Power(PowerState.ON, BootDevice.DISK));
        assertThat(checked.state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(checked.imageUnverified()).as("a power read proves nothing about the disk").isTrue();
    }

    @Test
    void aMachineOffOrBootingFromTheNetworkOrFromAnUnknownDeviceOrWithoutAnImageIsNotAdopted() {
        NodeInput in = input(node, centos);
        for (Outcome.Power found : List.of(new Outcome.Power(PowerState.OFF, BootDevice.DISK),
                new Outcome.Power(PowerState.ON, BootDevice.PXE), new Outcome.Power(PowerState.ON, null),
                new Outcome.Power(PowerState.UNKNOWN, BootDevice.DISK))) {
            NodeRecord rec = registeredFinding(in, found);
            assertThat(rec.state()).as("found %s", found).isEqualTo(ProvisioningState.AVAILABLE);
            assertThat(rec.image()).isNull();
        }
        NodeRecord bare = registeredFinding(input(Resources.node("spare", 1, null, true), null),
                new Outcome.Power(PowerState.ON, BootDevice.DISK));
        assertThat(bare.state()).isEqualTo(ProvisioningState.AVAILABLE);
    }

    @Test
    void anAdoptedNodeWhoseImageChangesInGitIsReimagedAndEndsVerified() {
        NodeRecord adopted = registeredFinding(input(node, centos), new Outcome.Power(PowerState.ON, BootDevice.DISK));
        NodeInput changed = input(node, rocky);
        NodeRecord[] rec = {adopted};
        List<String> actions = provision(changed, rec);
        assertThat(actions).startsWith("PrepareDeploy");
        assertThat(rec[0].state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(rec[0].image()).isEqualTo(ImageRef.of(rocky));
        assertThat(rec[0].imageUnverified()).isFalse();
        assertThat(NodeStatusMapper.toStatus(rec[0]).imageVerified()).isTrue();
    }

    @Test
    void anImageChangedWhileRegisteringIsTheOneAdopted() {
        Step s = settle(input(node, centos), null);
        Step again = settle(input(node, rocky), s.record());
        NodeRecord rec = act(again.record(), again.decision(), new Outcome.Power(PowerState.ON, BootDevice.DISK));
        assertThat(rec.image()).isEqualTo(ImageRef.of(rocky));
    }

    private NodeRecord adoptedThenChecked(String proven) {
        NodeInput in = input(node, centos);
        NodeRecord adopted = registeredFinding(in, new Outcome.Power(PowerState.ON, BootDevice.DISK));
        now = now.plus(LifecycleConfig.DEFAULT.driftInterval());
        Decision check = lifecycle.decide(in, adopted, now);
        assertThat(((Act) check).action()).isEqualTo(new CheckPower(true));
        return act(adopted, check, new Outcome.Power(PowerState.ON, BootDevice.DISK, proven));
    }

    @Test
    void anAdoptedNodeWhoseRunningOsProvesItsImageBecomesVerifiedWithoutAnyAction() {
        NodeRecord rec = adoptedThenChecked("centos-9");
        assertThat(rec.state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(rec.imageUnverified()).isFalse();
        assertThat(rec.image()).isEqualTo(ImageRef.of(centos));
        assertThat(rec.message()).isEqualTo(NodeLifecycle.VERIFIED);
        assertThat(lifecycle.decide(input(node, centos), rec, now)).isInstanceOf(Wait.class);
        // a verified node's drift check asks for power only
        assertThat(((Act) lifecycle.decide(input(node, centos), rec,
                now.plus(LifecycleConfig.DEFAULT.driftInterval()))).action()).isEqualTo(new CheckPower());
    }

    @Test
    void anAdoptedNodeWhoseRunningOsProvesAnotherImageIsReimaged() {
        NodeRecord rec = adoptedThenChecked("rocky-9");
        assertThat(rec.imageUnverified()).isFalse();
        assertThat(rec.image().name()).isEqualTo("rocky-9");
        assertThat(rec.message()).contains("rocky-9").contains("centos-9");
        // recorded as drift first (its event), then healed by re-imaging
        NodeRecord drifted = ((Persist) lifecycle.decide(input(node, centos), rec, now)).next();
        assertThat(drifted.drift().what()).isEqualTo(NodeLifecycle.IMAGE);
        assertThat(drifted.drift().action()).isEqualTo(NodeRecord.Drift.HEALING);
        Decision next = decideAfterShutdown(input(node, centos), drifted, now);
        assertThat(((Persist) next).next().state()).as("evidence that it runs the wrong image")
                .isEqualTo(ProvisioningState.PROVISIONING);
    }

    @Test
    void anImageDriftHealWaitsWhileItsRoleCannotSpareTheNode() {
        NodeRecord rec = adoptedThenChecked("rocky-9");
        String why = "image drift heal waits for capacity of role over/compute: 9 node(s) in service, at least 9"
                + " must stay";
        NodeInput held = new NodeInput(node.name(), node, centos, ImageAvailability.READY,
                dev.plinth.api.DriftPolicy.HEAL, "", new DisruptionGate(true, false, why));
        NodeRecord drifted = ((Persist) lifecycle.decide(held, rec, now)).next();
        assertThat(drifted.drift().action()).as("recorded (event, metric) at once").isEqualTo(
                NodeRecord.Drift.HEALING);
        NodeRecord waiting = ((Persist) lifecycle.decide(held, drifted, now)).next();
        assertThat(waiting.state()).as("not re-imaged yet").isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(waiting.message()).startsWith(NodeLifecycle.DRIFT).endsWith("; healing: " + why);
        assertThat(lifecycle.decide(held, waiting, now)).isInstanceOf(Wait.class);
        NodeInput granted = new NodeInput(node.name(), node, centos, ImageAvailability.READY,
                dev.plinth.api.DriftPolicy.HEAL, "", new DisruptionGate(true, true, null));
        assertThat(((Persist) decideAfterShutdown(granted, waiting, now)).next().state())
                .isEqualTo(ProvisioningState.PROVISIONING);
    }

    @Test
    void anAdoptedNodeWithoutProofStaysUnverifiedAndIsNotReimaged() {
        NodeRecord rec = adoptedThenChecked(null);
        assertThat(rec.imageUnverified()).isTrue();
        assertThat(rec.message()).isEqualTo(NodeLifecycle.ADOPTED);
        assertThat(lifecycle.decide(input(node, centos), rec, now)).isInstanceOf(Wait.class);
    }

    // --- drift policy -------------------------------------------------------------------------------------------

    private NodeInput input(BareMetalNode n, DiskImage image, dev.plinth.api.DriftPolicy policy) {
        return new NodeInput(n.name(), n, image, ImageAvailability.READY, policy);
    }

    /** A provisioned node, then its drift check reading {@code power}. */
    private NodeRecord provisionedThenRead(NodeInput in, PowerState power) {
        NodeRecord[] rec = {registered(in)};
        provision(in, rec);
        now = now.plus(LifecycleConfig.DEFAULT.driftInterval());
        Decision check = lifecycle.decide(in, rec[0], now);
        assertThat(((Act) check).action()).isInstanceOf(CheckPower.class);
        return act(rec[0], check, new Outcome.Power(power, BootDevice.DISK));
    }

    @Test
    void underPolicyReportADriftIsRecordedOnceAndNothingIsDone() {
        NodeInput in = input(node, centos, dev.plinth.api.DriftPolicy.REPORT);
        NodeRecord off = provisionedThenRead(in, PowerState.OFF);
        NodeRecord reported = ((Persist) lifecycle.decide(in, off, now)).next();
        assertThat(reported.drift()).satisfies(d -> {
            assertThat(d.what()).isEqualTo(NodeLifecycle.POWER);
            assertThat(d.expected()).isEqualTo("ON");
            assertThat(d.observed()).isEqualTo("OFF");
            assertThat(d.since()).isEqualTo(now);
            assertThat(d.action()).isEqualTo(NodeRecord.Drift.REPORTED);
            assertThat(d.heals()).isZero();
        });
        assertThat(reported.message()).isEqualTo("drift: power: expected ON, observed OFF; reported only (drift"
                + " policy report)");
        // nothing more to do but the next drift check
        assertThat(lifecycle.decide(in, reported, now)).isInstanceOf(Wait.class);
        Decision check = lifecycle.decide(in, reported, now.plus(LifecycleConfig.DEFAULT.driftInterval()));
        assertThat(((Act) check).action()).isInstanceOf(CheckPower.class);
        // someone powered it back on: the drift is resolved, the message cleared
        NodeRecord on = act(reported, check, new Outcome.Power(PowerState.ON, BootDevice.DISK));
        NodeRecord resolved = ((Persist) lifecycle.decide(in, on, now)).next();
        assertThat(resolved.drift().seen()).isFalse();
        assertThat(resolved.message()).isEmpty();
    }

    @Test
    void healsAreRateLimitedPerNodeSoAFlappingBmcCannotStartAStorm() {
        NodeInput in = input(node, centos);
        NodeRecord rec = provisionedThenRead(in, PowerState.OFF);
        Instant start = now;
        for (int heal = 1; heal <= NodeLifecycle.HEALS_PER_WINDOW; heal++) {
            NodeRecord healing = ((Persist) lifecycle.decide(in, rec, now)).next();
            assertThat(healing.drift().action()).isEqualTo(NodeRecord.Drift.HEALING);
            assertThat(healing.drift().heals()).isEqualTo(heal);
            Decision d = lifecycle.decide(in, healing, now);
            assertThat(((Act) d).action()).isInstanceOf(Action.PowerOn.class);
            NodeRecord commanded = act(healing, d, Outcome.DONE);
            NodeRecord resolved = ((Persist) lifecycle.decide(in, commanded, now)).next();
            assertThat(resolved.drift().seen()).isFalse();
            assertThat(resolved.drift().heals()).isEqualTo(heal);
            // the BMC reads it off again at the next check
            now = now.plus(LifecycleConfig.DEFAULT.driftInterval());
            Decision check = lifecycle.decide(in, resolved, now);
            rec = act(resolved, check, new Outcome.Power(PowerState.OFF, BootDevice.DISK));
        }
        NodeRecord held = ((Persist) lifecycle.decide(in, rec, now)).next();
        assertThat(held.drift().action()).isEqualTo(NodeRecord.Drift.HELD);
        assertThat(held.message()).contains("not healed: healed 3 times within 60 min");
        assertThat(lifecycle.decide(in, held, now)).isInstanceOf(Wait.class);
        // once the window is over, the drift still seen is healed again
        now = start.plus(NodeLifecycle.HEAL_WINDOW).plusSeconds(1);
        NodeRecord again = ((Persist) lifecycle.decide(in, held, now)).next();
        assertThat(again.drift().action()).isEqualTo(NodeRecord.Drift.HEALING);
        assertThat(again.drift().heals()).isEqualTo(1);
        assertThat(again.drift().since()).as("the same drift, seen since it was held").isEqualTo(held.drift().since());
    }

    @Test
    void anImageProvenWrongUnderPolicyReportIsNotReimaged() {
        NodeRecord rec = adoptedThenChecked("rocky-9");
        NodeInput in = input(node, centos, dev.plinth.api.DriftPolicy.REPORT);
        NodeRecord reported = ((Persist) lifecycle.decide(in, rec, now)).next();
        assertThat(reported.state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(reported.drift().toString()).isEqualTo("image: expected centos-9, observed rocky-9");
        assertThat(reported.drift().action()).isEqualTo(NodeRecord.Drift.REPORTED);
        assertThat(lifecycle.decide(in, reported, now)).isInstanceOf(Wait.class);
        // Git asking for another image still re-images it
        Decision d = decideAfterShutdown(new NodeInput(node.name(), node, rocky, ImageAvailability.READY,
                dev.plinth.api.DriftPolicy.REPORT), reported, now);
        assertThat(((Persist) d).next().state()).isEqualTo(ProvisioningState.PROVISIONING);
    }

    @Test
    void aMoveTheOldRoleCannotSpareWaitsInServiceThenGoes() {
        NodeInput compute = new NodeInput(node.name(), node, centos, ImageAvailability.READY,
                dev.plinth.api.DriftPolicy.HEAL, "over/compute");
        NodeRecord[] rec = {registered(compute)};
        provision(compute, rec);
        String why = "move to role under/storage waits for capacity of role over/compute: 9 node(s) in service,"
                + " at least 9 must stay";
        NodeInput held = new NodeInput(node.name(), node, rocky, ImageAvailability.READY,
                dev.plinth.api.DriftPolicy.HEAL, "under/storage", new DisruptionGate(true, false, why));
        NodeRecord waiting = ((Persist) lifecycle.decide(held, rec[0], now)).next();
        assertThat(waiting.state()).as("still serving its old role").isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(waiting.image()).isEqualTo(ImageRef.of(centos));
        assertThat(waiting.message()).isEqualTo("moving from role over/compute to role under/storage: " + why);
        assertThat(lifecycle.decide(held, waiting, now)).isInstanceOf(Wait.class);
        // a plan that has not seen the move yet holds it too: nothing leaves a role uncounted
        NodeInput unseen = new NodeInput(node.name(), node, rocky, ImageAvailability.READY,
                dev.plinth.api.DriftPolicy.HEAL, "under/storage", new DisruptionGate(true, false, null));
        assertThat(((Persist) lifecycle.decide(unseen, rec[0], now)).next().state())
                .isEqualTo(ProvisioningState.PROVISIONED);
        NodeInput granted = new NodeInput(node.name(), node, rocky, ImageAvailability.READY,
                dev.plinth.api.DriftPolicy.HEAL, "under/storage", new DisruptionGate(true, true, null));
        assertThat(((Persist) decideAfterShutdown(granted, waiting, now)).next().state())
                .isEqualTo(ProvisioningState.CLEANING);
    }

    @Test
    void aNodeMovedToAnotherRoleIsWipedThenProvisionedForIt() {
        NodeInput compute = new NodeInput(node.name(), node, centos, ImageAvailability.READY,
                dev.plinth.api.DriftPolicy.HEAL, "over/compute");
        NodeRecord[] rec = {registered(compute)};
        provision(compute, rec);
        assertThat(rec[0].role()).isEqualTo("over/compute");
        assertThat(lifecycle.decide(compute, rec[0], now)).isInstanceOf(Wait.class);
        NodeInput storage = new NodeInput(node.name(), node, rocky, ImageAvailability.READY,
                dev.plinth.api.DriftPolicy.HEAL, "under/storage");
        NodeRecord leaving = ((Persist) decideAfterShutdown(storage, rec[0], now)).next();
        assertThat(leaving.state()).isEqualTo(ProvisioningState.CLEANING);
        assertThat(leaving.message()).isEqualTo("moved from role over/compute to role under/storage: wiping the disks"
                + " first");
        rec[0] = leaving;
        assertThat(wipe(storage, rec)).startsWith("PrepareDeploy wipe=true").endsWith("FinishDeploy");
        assertThat(provision(storage, rec)).startsWith("PrepareDeploy");
        assertThat(rec[0].state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(rec[0].image()).isEqualTo(ImageRef.of(rocky));
        assertThat(rec[0].role()).isEqualTo("under/storage");
    }

    @Test
    void aNodeWhoseRoleIsNotKnownTakesTheCurrentOneWithoutBeingWiped() {
        NodeInput in = input(node, centos);
        NodeRecord[] rec = {registered(in)};
        provision(in, rec);
        NodeRecord old = rec[0].toBuilder().role(null).build();
        NodeInput compute = new NodeInput(node.name(), node, centos, ImageAvailability.READY,
                dev.plinth.api.DriftPolicy.HEAL, "over/compute");
        NodeRecord learned = ((Persist) lifecycle.decide(compute, old, now)).next();
        assertThat(learned.state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(learned.role()).isEqualTo("over/compute");
        assertThat(lifecycle.decide(compute, learned, now)).isInstanceOf(Wait.class);
    }
}
