package dev.plinth.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.InFlight;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.core.Resources;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.BootDriver;
import dev.plinth.driver.DeployDriver;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.DeployProgress;
import dev.plinth.driver.DeployRequest;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.PowerDriver;
import dev.plinth.driver.PowerState;
import dev.plinth.store.NodeEvent;
import dev.plinth.store.StoreException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NodeReconcilerTest {
    private final DiskImage centos = Resources.image("centos", 'a');
    private final BareMetalNode node = Resources.node("n1", 0, "centos", true);
    private final DesiredState desired = DesiredState.of("rev-1", List.of(centos, node));
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC);
    /** Writes and driver calls, in the order they happened. */
    private final List<String> journal = new ArrayList<>();
    private final JournalingMachine machine = new JournalingMachine();
    private final NodeReconciler reconciler = new NodeReconciler(new NodeLifecycle(LifecycleConfig.DEFAULT),
            new Drivers(machine, machine, machine), name -> Optional.of(new BmcCredentials("admin", "pw")), 64,
            Duration.ofMinutes(5));

    @Test
    void aRebootIsMadeOnlyAfterItsIntentWasWrittenAndItLeavesNoIntentBehind() {
        JournalingWriter writer = new JournalingWriter(false);
        NodeRecord rec = null;
        for (int i = 0; i < 10 && (rec == null || rec.state() != ProvisioningState.PROVISIONED); i++) {
            rec = reconciler.reconcile(NodeReconciler.inputFor(desired, "n1", ImageCatalog.ALWAYS_READY), rec,
                    clock, writer).record();
        }
        assertThat(rec.state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(rec.operation().inFlight()).isNull();
        List<Integer> reboots = indexesOf("call reboot");
        assertThat(reboots).hasSize(2); // into the ramdisk, then into the written disk
        for (int i : reboots) {
            assertThat(journal.get(i - 1)).isEqualTo("write INTENT REBOOT");
            assertThat(journal.get(i + 1)).startsWith("write PROGRESS").endsWith("in flight: none");
        }
        assertThat(writer.events).extracting(NodeEvent::message).contains("registered", "PROVISIONING -> PROVISIONED");
    }

    @Test
    void whenTheIntentCannotBeWrittenTheRebootIsNeverMade() {
        JournalingWriter writer = new JournalingWriter(true);
        NodeRecord[] rec = {null};
        assertThatThrownBy(() -> {
            for (int i = 0; i < 10; i++) {
                rec[0] = reconciler.reconcile(NodeReconciler.inputFor(desired, "n1", ImageCatalog.ALWAYS_READY),
                        rec[0], clock, writer).record();
            }
        }).isInstanceOf(StoreException.class).hasMessageContaining("disk full");
        assertThat(journal).doesNotContain("call reboot");
        assertThat(journal).contains("call setBootDevice PXE"); // it got as far as the step before
    }

    @Test
    void aNodeRemovedFromTheDesiredStateIsPoweredOffAndForgotten() {
        JournalingWriter writer = new JournalingWriter(false);
        NodeRecord rec = reconciler.reconcile(NodeReconciler.inputFor(DesiredState.of("rev-1", List.of(
                Resources.node("n1", 0, null, true))), "n1", ImageCatalog.ALWAYS_READY), null, clock, writer).record();
        assertThat(rec.state()).isEqualTo(ProvisioningState.AVAILABLE);
        Pass pass = reconciler.reconcile(NodeReconciler.inputFor(DesiredState.empty("rev-2"), "n1",
                ImageCatalog.ALWAYS_READY), rec, clock, writer);
        assertThat(pass.next()).isInstanceOf(Pass.Next.Forgotten.class);
        assertThat(pass.record()).isNull();
        assertThat(journal).contains("call powerOff", "call cleanUp");
        assertThat(journal.get(journal.size() - 1)).isEqualTo("forget n1");
        assertThat(writer.events.get(writer.events.size() - 1).message())
                .isEqualTo("removed from the desired state and no longer managed");
    }

    @Test
    void aSettledNodeComesBackNoLaterThanMaxWait() {
        JournalingWriter writer = new JournalingWriter(false);
        NodeReconciler patient = new NodeReconciler(new NodeLifecycle(LifecycleConfig.DEFAULT),
                new Drivers(machine, machine, machine), name -> Optional.of(new BmcCredentials("a", "b")), 64,
                Duration.ofSeconds(7));
        DesiredState spare = DesiredState.of("rev-1", List.of(Resources.node("n1", 0, null, false)));
        Pass pass = patient.reconcile(NodeReconciler.inputFor(spare, "n1", ImageCatalog.ALWAYS_READY), null, clock,
                writer);
        assertThat(pass.next()).isEqualTo(new Pass.Next.After(Duration.ofSeconds(7)));
    }

    // --- a kill during a reboot call -------------------------------------------------------------------------

    /** A writer that stores like the host and dies (the controller is killed) at the {@code killAt}-th write. */
    private final class DyingWriter extends JournalingWriter {
        private final int killAt;
        private int writes;
        NodeRecord stored;

        DyingWriter(int killAt) {
            super(false);
            this.killAt = killAt;
        }

        @Override
        public void write(NodeRecord before, NodeRecord after, NodeEvent event, Write kind) {
            if (++writes == killAt) {
                throw new IllegalStateException("killed");
            }
            super.write(before, after, event, kind);
            stored = after;
        }
    }

    /** Runs passes until the controller is killed with the reboot into the ramdisk in flight; returns the stored record. */
    private NodeRecord killedDuringTheRamdiskReboot(boolean afterTheCall, Clock at) {
        PowerState initial = machine.power;
        // find how many writes it takes to store the intent, then die right after it (before the call) or at the
        // write that follows it (after the call acted)
        DyingWriter w = new DyingWriter(Integer.MAX_VALUE);
        NodeRecord rec = null;
        int intentWrite = -1;
        for (int i = 0; i < 10 && intentWrite < 0; i++) {
            rec = reconciler.reconcile(NodeReconciler.inputFor(desired, "n1", ImageCatalog.ALWAYS_READY), rec, at, w)
                    .record();
            intentWrite = journal.indexOf("write INTENT REBOOT");
        }
        int writesToIntent = (int) journal.subList(0, intentWrite + 1).stream().filter(j -> j.startsWith("write")).count();
        journal.clear();
        machine.reset(initial);
        DyingWriter dying = new DyingWriter(writesToIntent + 1);
        rec = null;
        try {
            for (int i = 0; i < 10; i++) {
                rec = reconciler.reconcile(NodeReconciler.inputFor(desired, "n1", ImageCatalog.ALWAYS_READY), rec, at,
                        dying).record();
            }
        } catch (IllegalStateException killed) {
            assertThat(killed).hasMessage("killed");
        }
        assertThat(dying.stored.operation().inFlight()).isNotNull();
        assertThat(journal.contains("call reboot")).isEqualTo(afterTheCall);
        journal.clear();
        return dying.stored;
    }

    private NodeRecord runUntilProvisioned(NodeRecord rec, Clock at, JournalingWriter writer) {
        for (int i = 0; i < 10 && rec.state() != ProvisioningState.PROVISIONED; i++) {
            rec = reconciler.reconcile(NodeReconciler.inputFor(desired, "n1", ImageCatalog.ALWAYS_READY), rec, at,
                    writer).record();
        }
        return rec;
    }

    @Test
    void aRebootIntentFoundWithTheMachineOffIsRebootedAgainAndRecordedAsARecovery() {
        machine.failBeforeActing = true;
        NodeRecord intent = killedDuringTheRamdiskReboot(false, clock);
        machine.failBeforeActing = false;
        assertThat(machine.power).isEqualTo(PowerState.OFF);

        JournalingWriter writer = new JournalingWriter(false);
        NodeRecord rec = runUntilProvisioned(intent, clock, writer);
        assertThat(rec.state()).isEqualTo(ProvisioningState.PROVISIONED);
        // the lost reboot into the ramdisk is made again, then the one into the disk: the deploy ran once
        assertThat(indexesOf("call reboot")).hasSize(2);
        assertThat(machine.ramdiskBoots).isEqualTo(1);
        assertThat(writer.events).filteredOn(e -> e.type().equals("Recovered")).singleElement()
                .satisfies(e -> assertThat(e.message()).contains("off").contains("reboot"));
    }

    @Test
    void aRebootIntentFoundWithTheRebootMadeIsWatchedNotRepeated() {
        NodeRecord intent = killedDuringTheRamdiskReboot(true, clock);
        assertThat(machine.ramdiskBoots).isEqualTo(1);

        JournalingWriter writer = new JournalingWriter(false);
        NodeRecord rec = runUntilProvisioned(intent, clock, writer);
        assertThat(rec.state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(indexesOf("call reboot")).hasSize(1); // only the one into the written disk
        assertThat(machine.ramdiskBoots).isEqualTo(1);
        assertThat(writer.events).filteredOn(e -> e.type().equals("Recovered")).hasSize(1);
    }

    @Test
    void aRebootIntentFoundWithTheMachineOnIsWatchedAndASilentBootIsRetriedAfterTheBootTimeout() {
        // the machine ran its old OS, so it is on whether or not the reboot happened; here it did not
        machine.power = PowerState.ON;
        machine.failBeforeActing = true;
        MutableClock at = new MutableClock(clock.instant());
        NodeRecord intent = killedDuringTheRamdiskReboot(false, at);
        machine.failBeforeActing = false;
        assertThat(machine.power).isEqualTo(PowerState.ON);

        JournalingWriter writer = new JournalingWriter(false);
        Pass pass = reconciler.reconcile(NodeReconciler.inputFor(desired, "n1", ImageCatalog.ALWAYS_READY), intent,
                at, writer);
        // on: it may have happened, so it is watched, not repeated
        assertThat(pass.record().operation().step()).isEqualTo(dev.plinth.core.Step.WRITE_IMAGE);
        assertThat(journal).doesNotContain("call reboot");
        assertThat(writer.events).filteredOn(e -> e.type().equals("Recovered")).hasSize(1);

        // no sign of life from the ramdisk within the boot timeout: booted again, long before the write timeout
        at.advance(LifecycleConfig.DEFAULT.bootTimeout().plusSeconds(1));
        assertThat(LifecycleConfig.DEFAULT.bootTimeout()).isLessThan(LifecycleConfig.DEFAULT.writeTimeout());
        NodeRecord rec = runUntilProvisioned(pass.record(), at, writer);
        assertThat(rec.state()).isEqualTo(ProvisioningState.PROVISIONED);
        assertThat(machine.ramdiskBoots).isEqualTo(1);
        assertThat(indexesOf("call reboot")).hasSize(2); // the ramdisk again, then the disk
    }

    /** Issue 8 #2: the deploy driver hands out a boot credential per boot window; every boot must open one. */
    @Test
    void everyBootIntoTheRamdiskOpensAFreshBootWindowRightBeforeIt() {
        machine.power = PowerState.ON;
        machine.failBeforeActing = true;
        MutableClock at = new MutableClock(clock.instant());
        NodeRecord intent = killedDuringTheRamdiskReboot(false, at);
        machine.failBeforeActing = false;
        JournalingWriter writer = new JournalingWriter(false);
        Pass pass = reconciler.reconcile(NodeReconciler.inputFor(desired, "n1", ImageCatalog.ALWAYS_READY), intent,
                at, writer);
        at.advance(LifecycleConfig.DEFAULT.bootTimeout().plusSeconds(1));
        NodeRecord rec = runUntilProvisioned(pass.record(), at, writer);
        assertThat(rec.state()).isEqualTo(ProvisioningState.PROVISIONED);
        // the silent boot's retry went through network boot again: a fresh window, then the boot
        List<Integer> windows = indexesOf("call openDeployBootWindow");
        List<Integer> pxe = indexesOf("call setBootDevice PXE");
        System.out.println("journal after the silent boot: " + journal);
        assertThat(windows).as(journal.toString()).hasSize(pxe.size()).isNotEmpty();
        for (int k = 0; k < pxe.size(); k++) {
            assertThat(windows.get(k)).isEqualTo(pxe.get(k) - 1);
        }
        // no other boot device change opens a window
        assertThat(indexesOf("call openDeployBootWindow")).hasSize(pxe.size());
    }

    /** Issue 8 #2: a security event of the deploy (its boot credential asked for twice) reaches status and history. */
    @Test
    void aSecurityAlertOfTheDeployIsInStatusAndRecordedOnceInHistory() {
        machine.writingPolls = 3;
        machine.alert = "the deploy script of boot 1 was asked for again (from 10.0.0.9) after it was handed out";
        JournalingWriter writer = new JournalingWriter(false);
        NodeRecord rec = null;
        String seen = null;
        for (int i = 0; i < 20 && (rec == null || rec.state() != ProvisioningState.PROVISIONED); i++) {
            rec = reconciler.reconcile(NodeReconciler.inputFor(desired, "n1", ImageCatalog.ALWAYS_READY), rec,
                    clock, writer).record();
            if (rec.operation().step() == dev.plinth.core.Step.WRITE_IMAGE && rec.message().contains("security")) {
                seen = rec.message();
            }
        }
        System.out.println("status message while writing: " + seen);
        System.out.println("events: " + writer.events);
        assertThat(seen).contains("writing").contains(machine.alert);
        assertThat(writer.events).filteredOn(e -> e.type().equals("Security")).singleElement()
                .satisfies(e -> assertThat(e.message()).contains(machine.alert));
    }

    @Test
    void aReadBackThatFailsForGoodIsAnErrorNotARecovery() {
        NodeRecord intent = killedDuringTheRamdiskReboot(true, clock);
        machine.rejectReads = true;
        JournalingWriter writer = new JournalingWriter(false);
        NodeRecord rec = reconciler.reconcile(NodeReconciler.inputFor(desired, "n1", ImageCatalog.ALWAYS_READY),
                intent, clock, writer).record();
        assertThat(rec.state()).isEqualTo(ProvisioningState.ERROR);
        assertThat(writer.events).extracting(NodeEvent::type).contains("Error").doesNotContain("Recovered");
    }

    private static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private List<Integer> indexesOf(String entry) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < journal.size(); i++) {
            if (journal.get(i).equals(entry)) {
                out.add(i);
            }
        }
        return out;
    }

    private class JournalingWriter implements RecordWriter {
        private final boolean failIntents;
        final List<NodeEvent> events = new ArrayList<>();

        JournalingWriter(boolean failIntents) {
            this.failIntents = failIntents;
        }

        @Override
        public void write(NodeRecord before, NodeRecord after, NodeEvent event, Write kind) {
            if (kind == Write.INTENT && failIntents) {
                throw new StoreException("disk full", null);
            }
            InFlight f = after.operation().inFlight();
            journal.add(kind == Write.INTENT ? "write INTENT " + f.call()
                    : "write PROGRESS " + after.state() + " in flight: " + (f == null ? "none" : f.call()));
            if (event != null) {
                events.add(event);
            }
        }

        @Override
        public void forget(NodeRecord last, NodeEvent event) {
            journal.add("forget " + last.name());
            events.add(event);
        }
    }

    /**
     * A fake machine that journals each call and succeeds at once: a reboot with network boot set runs the ramdisk,
     * which writes the deploy at once; the OS checks in.
     */
    private final class JournalingMachine implements PowerDriver, BootDriver, DeployDriver {
        private PowerState power = PowerState.OFF;
        private BootDevice next = BootDevice.DISK;
        /** Reboots into the ramdisk (deploy runs). */
        int ramdiskBoots;
        /** The next reboot call fails before the BMC acts (the controller is killed in it). */
        boolean failBeforeActing;
        /** The BMC rejects the credentials of power reads. */
        boolean rejectReads;
        /** A security event the deploy driver reports while the deploy runs (its progress' alert). */
        String alert = "";
        /** Observations before the ramdisk reports WRITTEN (after it booted). */
        int writingPolls;

        void reset(PowerState initial) {
            power = initial;
            next = BootDevice.DISK;
            ramdiskBoots = 0;
        }

        @Override
        public PowerState powerState(NodeTarget n) throws dev.plinth.driver.DriverException {
            if (rejectReads) {
                throw new dev.plinth.driver.DriverException(dev.plinth.driver.FailureKind.AUTHENTICATION,
                        "BMC rejected the credentials");
            }
            return power;
        }

        @Override
        public void powerOn(NodeTarget n) {
            journal.add("call powerOn");
            power = PowerState.ON;
        }

        @Override
        public void powerOff(NodeTarget n) {
            journal.add("call powerOff");
            power = PowerState.OFF;
        }

        @Override
        public void reboot(NodeTarget n) {
            if (failBeforeActing) {
                return; // the controller dies before the BMC gets the command
            }
            journal.add("call reboot");
            power = PowerState.ON;
            if (next == BootDevice.PXE) {
                ramdiskBoots++;
            }
        }

        @Override
        public void setBootDevice(NodeTarget n, BootDevice device, boolean persistent) {
            journal.add("call setBootDevice " + device);
            next = device;
        }

        @Override
        public void prepareDeployBoot(NodeTarget n, DeployRequest deploy) {}

        @Override
        public void openDeployBootWindow(NodeTarget n) {
            journal.add("call openDeployBootWindow");
        }

        @Override
        public void prepareLocalBoot(NodeTarget n) {}

        @Override
        public void cleanUp(NodeTarget n) {
            journal.add("call cleanUp");
        }

        @Override
        public void start(NodeTarget n, DeployRequest deploy) {}

        @Override
        public DeployProgress observe(NodeTarget n, String deployId) {
            if (ramdiskBoots > 0 && writingPolls-- > 0) {
                return new DeployProgress(DeployPhase.WRITING, 10 - writingPolls, 10, "writing", Map.of(), alert);
            }
            return ramdiskBoots > 0 ? new DeployProgress(DeployPhase.WRITTEN, 1, 1, "", Map.of(), alert)
                    : new DeployProgress(DeployPhase.WAITING, 0, 0, "", Map.of(), alert);
        }

        @Override
        public boolean checkedIn(NodeTarget n, String deployId) {
            return true;
        }

        @Override
        public void finish(NodeTarget n, String deployId) {}
    }
}
