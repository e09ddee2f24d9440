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

    private List<Integer> indexesOf(String entry) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < journal.size(); i++) {
            if (journal.get(i).equals(entry)) {
                out.add(i);
            }
        }
        return out;
    }

    private final class JournalingWriter implements RecordWriter {
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

    /** A fake machine that journals each call and succeeds at once: the deploy is written, the OS checks in. */
    private final class JournalingMachine implements PowerDriver, BootDriver, DeployDriver {
        private PowerState power = PowerState.OFF;

        @Override
        public PowerState powerState(NodeTarget n) {
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
            journal.add("call reboot");
            power = PowerState.ON;
        }

        @Override
        public void setBootDevice(NodeTarget n, BootDevice device, boolean persistent) {
            journal.add("call setBootDevice " + device);
        }

        @Override
        public void prepareDeployBoot(NodeTarget n, DeployRequest deploy) {}

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
            return new DeployProgress(DeployPhase.WRITTEN, 1, 1, "", Map.of());
        }

        @Override
        public boolean checkedIn(NodeTarget n, String deployId) {
            return true;
        }

        @Override
        public void finish(NodeTarget n, String deployId) {}
    }
}
