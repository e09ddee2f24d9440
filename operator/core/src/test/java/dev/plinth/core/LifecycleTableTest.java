package dev.plinth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DiskImage;
import dev.plinth.core.Action.CheckPower;
import dev.plinth.core.Action.FinishDeploy;
import dev.plinth.core.Action.ObserveCheckIn;
import dev.plinth.core.Action.ObserveDeploy;
import dev.plinth.core.Action.PowerOff;
import dev.plinth.core.Decision.Act;
import dev.plinth.core.Decision.Forget;
import dev.plinth.core.Decision.Persist;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.DeployProgress;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LifecycleTableTest {
    private final NodeLifecycle lifecycle = new NodeLifecycle(LifecycleConfig.DEFAULT);
    private final DiskImage centos = Resources.image("centos-9", 'a');
    private final DiskImage rocky = Resources.image("rocky-9", 'b');
    private final BareMetalNode node = Resources.node("compute-0", 0, "centos-9", true);
    private final Instant start = Instant.parse("2026-11-25T10:00:00Z");

    /**
     * Walks every record the lifecycle can reach from "no record", under every desired state a user can give it
     * (image ready, pending, changed, removed; node offline; the node removed), every outcome a
     * driver can report (and a kill right after any intent is stored) and time standing still, jumping past the boot
     * timeout only, or past any backoff and timeout. The moves between states it
     * makes are exactly the table's: none missing (the lifecycle would have thrown) and none the table lists that
     * nothing makes.
     */
    @Test
    void theLifecycleMakesExactlyTheMovesOfTheTable() {
        List<NodeInput> inputs = inputs();
        Set<List<ProvisioningState>> observed = new LinkedHashSet<>();
        Set<List<Step>> retreats = new LinkedHashSet<>();
        Set<List<Object>> seen = new HashSet<>();
        Deque<Visit> queue = new ArrayDeque<>();
        queue.add(new Visit(null, start));
        int visits = 0;
        while (!queue.isEmpty() && visits < 200_000) {
            Visit v = queue.poll();
            if (v.rec() != null && !seen.add(key(v.rec()))) {
                continue;
            }
            visits++;
            // standing still, past the boot timeout (not the write timeout), and past everything
            Instant pastBoot = v.clock().plus(LifecycleConfig.DEFAULT.bootTimeout()).plusSeconds(1);
            for (Instant now : List.of(v.clock(), pastBoot, v.clock().plus(Duration.ofDays(1)))) {
                for (NodeInput in : inputs) {
                    Decision d = lifecycle.decide(in, v.rec(), now);
                    if (d instanceof Persist p) {
                        record(observed, retreats, v.rec(), p.next());
                        queue.add(new Visit(p.next(), now));
                    } else if (d instanceof Forget && v.rec() != null) {
                        observed.add(Arrays.asList(v.rec().state(), null));
                    } else if (d instanceof Act a) {
                        if (a.persistFirst()) {
                            // the controller may be killed right after the intent is stored: a reachable record
                            queue.add(new Visit(a.intent(), now));
                        }
                        for (Outcome o : outcomes(a.action())) {
                            NodeRecord next = lifecycle.apply(a.persistFirst() ? a.intent() : v.rec(), a.action(), o,
                                    now).next();
                            record(observed, retreats, v.rec(), next);
                            queue.add(new Visit(next, now));
                        }
                    }
                }
            }
        }
        assertThat(queue).as("the walk covers every reachable record within its bound").isEmpty();
        Set<List<ProvisioningState>> table = LifecycleTable.edges().stream()
                .map(e -> Arrays.asList(e.from(), e.to())).collect(Collectors.toSet());
        assertThat(observed).containsExactlyInAnyOrderElementsOf(table);
        // the steps it goes back by are exactly the table's retreats (starting over at the first step aside)
        assertThat(retreats).containsExactlyInAnyOrderElementsOf(LifecycleTable.retreats().stream()
                .map(r -> Arrays.asList(r.from(), r.to())).toList());
    }

    private record Visit(NodeRecord rec, Instant clock) {}

    private static void record(Set<List<ProvisioningState>> observed, Set<List<Step>> retreats, NodeRecord from,
            NodeRecord to) {
        ProvisioningState was = from == null ? null : from.state();
        if (was != to.state()) {
            observed.add(Arrays.asList(was, to.state()));
        } else if (from.operation().step() != null && to.operation().step() != null) {
            List<Step> order = LifecycleTable.steps(was);
            int a = order.indexOf(from.operation().step());
            int b = order.indexOf(to.operation().step());
            if (b < a && b > 0) {
                retreats.add(Arrays.asList(from.operation().step(), to.operation().step()));
            }
        }
    }

    private List<NodeInput> inputs() {
        BareMetalNode offline = Resources.node("compute-0", 0, "centos-9", false);
        BareMetalNode bare = Resources.node("compute-0", 0, null, true);
        // each input's spec differs from the others': switching between them is also a spec change
        return List.of(
                new NodeInput(node.name(), node, centos, ImageAvailability.READY),
                new NodeInput(node.name(), node, rocky, ImageAvailability.READY),
                new NodeInput(node.name(), node, rocky,
                        new ImageAvailability(ImageAvailability.Status.PENDING, "downloading")),
                new NodeInput(node.name(), bare, null, ImageAvailability.READY),
                // an inspection boot asked for just after the walk's start (a node with no image to run)
                new NodeInput(node.name(), bare, null, ImageAvailability.READY).withInspectBoot(start.plusMillis(1)),
                new NodeInput(node.name(), offline, centos, ImageAvailability.READY),
                NodeInput.removed(node.name()));
    }

    private static List<Outcome> outcomes(Action action) {
        List<Outcome> failures = List.of(Outcome.failed(FailureKind.UNREACHABLE, "no answer"),
                Outcome.failed(FailureKind.AUTHENTICATION, "rejected"));
        List<Outcome> successes;
        if (action instanceof Action.ReadInventory) {
            // what the inventory says changes no move (InventoryLifecycleTest has the cases)
            successes = List.of(new Outcome.Inventoried(null));
        } else if (action instanceof Action.Shutdown) {
            successes = List.of(Outcome.DONE, Outcome.failed(FailureKind.UNSUPPORTED, "no GracefulShutdown"));
        } else if (action instanceof CheckPower) {
            successes = List.of(new Outcome.Power(PowerState.OFF, BootDevice.DISK),
                    new Outcome.Power(PowerState.ON, BootDevice.PXE),
                    // a running machine found by a controller without its record: adopted
                    new Outcome.Power(PowerState.ON, BootDevice.DISK),
                    // an adopted node's running OS proving an image, the desired one or another
                    new Outcome.Power(PowerState.ON, BootDevice.DISK, "centos-9"),
                    new Outcome.Power(PowerState.ON, BootDevice.DISK, "other"));
        } else if (action instanceof ObserveDeploy) {
            successes = Arrays.stream(DeployPhase.values())
                    .map(p -> (Outcome) new Outcome.Progress(new DeployProgress(p, 50, 200, "sha256 mismatch")))
                    .toList();
        } else if (action instanceof Action.Verify) {
            successes = new java.util.ArrayList<>();
            for (PowerState power : List.of(PowerState.ON, PowerState.OFF)) {
                for (DeployPhase phase : DeployPhase.values()) {
                    for (boolean checkedIn : List.of(true, false)) {
                        successes.add(new Outcome.Evidence(power, BootDevice.PXE, DeployProgress.of(phase), checkedIn));
                    }
                }
            }
        } else if (action instanceof ObserveCheckIn) {
            successes = List.of(new Outcome.CheckIn(true), new Outcome.CheckIn(false));
        } else {
            successes = List.of(Outcome.DONE);
        }
        return java.util.stream.Stream.concat(successes.stream(), failures.stream()).toList();
    }

    /**
     * What decides the node's next move. Times (the walk's clock jump explores them), ids, byte counts, timings,
     * error details and counts (they set delays, not moves), the BMC and the wording of messages are left out and the
     * attempt counter capped, so the walk ends. Leaving too much out can
     * only hide a move, and then the table's entry for it fails the test.
     */
    private static List<Object> key(NodeRecord r) {
        return Arrays.asList(r.state(), r.operation().step(), Math.min(r.operation().attempt(), LifecycleConfig.DEFAULT.stepAttempts()),
                r.operation().notBefore() != null, r.power().state(), r.power().bootDevice(), r.image(), r.imageUnverified(), r.deploy().targetImage(),
                r.error().failedOperation(), r.specFingerprint(), r.message().isEmpty(),
                r.message().equals(NodeLifecycle.NO_IMAGE), r.operation().inFlight() != null, r.deploy().phase(),
                r.deploy().silentBoots());
    }

    // --- illegal moves ---------------------------------------------------------------------------------------

    @Test
    void aMoveTheTableDoesNotListFails() {
        NodeRecord provisioning = NodeRecord.registering("compute-0", node.spec().bmc(), "52:54:00:00:00:00", "",
                start).toBuilder().state(ProvisioningState.PROVISIONING).step(Step.WRITE_IMAGE).build();
        NodeRecord registering = NodeRecord.registering("compute-0", node.spec().bmc(), "52:54:00:00:00:00", "",
                start);
        assertThatThrownBy(() -> LifecycleTable.check(provisioning, registering))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("compute-0").hasMessageContaining("PROVISIONING -> REGISTERING");
        assertThat(LifecycleTable.find(ProvisioningState.PROVISIONING, ProvisioningState.REGISTERING)).isEmpty();
        // a provisioned node is never simply dropped: it is deprovisioned first
        assertThatThrownBy(() -> LifecycleTable.check(provisioning.toBuilder().state(ProvisioningState.PROVISIONED)
                .step(null).build(), null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("PROVISIONED -> (forgotten)");
    }

    @Test
    void theLifecycleRefusesToMakeAnIllegalMoveFromAForgedRecord() {
        NodeRecord registering = NodeRecord.registering("compute-0", node.spec().bmc(), "52:54:00:00:00:00", "",
                start);
        // finishing a deploy that never ran would make the node PROVISIONED straight from AVAILABLE (REGISTERING ->
        // PROVISIONED is a move of the table since a running machine is adopted)
        NodeRecord available = registering.toBuilder().state(ProvisioningState.AVAILABLE).build();
        assertThatThrownBy(() -> lifecycle.apply(available, new FinishDeploy("d-1"), Outcome.DONE, start))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("AVAILABLE -> PROVISIONED");
        // a deprovisioning step's outcome applied to a deploying node would give it a step of another operation
        NodeRecord deploying = registering.toBuilder().state(ProvisioningState.PROVISIONING).step(Step.POWER_OFF)
                .build();
        assertThatThrownBy(() -> lifecycle.apply(deploying, new PowerOff(), Outcome.DONE, start))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PROVISIONING/POWER_OFF -> PROVISIONING/CLEAN_UP")
                .hasMessageContaining("belongs to DEPROVISIONING");
    }

    @Test
    void stepsOnlyGoForwardOrStartOver() {
        NodeRecord at = NodeRecord.registering("compute-0", node.spec().bmc(), "52:54:00:00:00:00", "", start)
                .toBuilder().state(ProvisioningState.PROVISIONING).step(Step.AWAIT_CHECK_IN).build();
        assertThatThrownBy(() -> LifecycleTable.check(at, at.toBuilder().step(Step.WRITE_IMAGE).build()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("AWAIT_CHECK_IN -> PROVISIONING/WRITE_IMAGE");
        LifecycleTable.check(at, at.toBuilder().step(Step.FINISH_DEPLOY).build());
        LifecycleTable.check(at, at.toBuilder().step(Step.PREPARE_DEPLOY).build());
        assertThat(LifecycleTable.steps(ProvisioningState.PROVISIONING)).containsExactly(Step.PREPARE_DEPLOY,
                Step.SET_BOOT_PXE, Step.BOOT_DEPLOY_RAMDISK, Step.WRITE_IMAGE, Step.SET_BOOT_DISK, Step.BOOT_IMAGE,
                Step.AWAIT_CHECK_IN, Step.FINISH_DEPLOY);
        assertThat(LifecycleTable.steps(ProvisioningState.AVAILABLE)).isEmpty();
    }

    @Test
    void everyStateIsReachedAndLeftAndEachMoveHasOneEvent() {
        for (ProvisioningState s : ProvisioningState.values()) {
            assertThat(LifecycleTable.edges()).as("into " + s).anyMatch(e -> e.to() == s);
            assertThat(LifecycleTable.edges()).as("out of " + s).anyMatch(e -> e.from() == s);
        }
        assertThat(LifecycleTable.edges().stream().map(e -> Arrays.asList(e.from(), e.to())).distinct())
                .hasSameSizeAs(LifecycleTable.edges());
    }
}
