package dev.plinth.core;

import static dev.plinth.core.ProvisioningState.AVAILABLE;
import static dev.plinth.core.ProvisioningState.CLEANING;
import static dev.plinth.core.ProvisioningState.DEPROVISIONING;
import static dev.plinth.core.ProvisioningState.ERROR;
import static dev.plinth.core.ProvisioningState.INSPECTING;
import static dev.plinth.core.ProvisioningState.PROVISIONED;
import static dev.plinth.core.ProvisioningState.PROVISIONING;
import static dev.plinth.core.ProvisioningState.REGISTERING;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The node state machine as data: its states ({@link ProvisioningState}), the events that move a node between them
 * and the moves allowed. {@link NodeLifecycle} decides when an event has happened; every record it hands out passes
 * {@link #check} first, so a move this table does not list fails loudly instead of being stored.
 * docs/node-lifecycle.md draws the same table (a test keeps the two equal).
 *
 * <p>A null state stands for "no record": a node entering the machine comes from null, a forgotten one goes to null.
 * Each (from, to) pair has exactly one event, so a move names its own cause.
 */
public final class LifecycleTable {
    private LifecycleTable() {}

    /** What moves a node from one state to another. The label is the diagram's word for it. */
    public enum Event {
        /** The node appeared in the desired state. */
        REGISTERED("registered"),
        /** Its BMC answered with the configured credentials. */
        BMC_ANSWERED("BMC answered"),
        /**
         * A node without a record that should run an image was found powered on and booting from disk: it is taken
         * to run that image, unverified until its OS checks in.
         */
        ADOPTED("adopted"),
        /** An image to run is ready to be served. */
        IMAGE_READY("image ready"),
        /** The desired image differs from the one on disk (name or checksum), and the new one is ready. */
        IMAGE_CHANGED("image changed"),
        /** The node has no image to run any more. */
        IMAGE_REMOVED("image removed"),
        /** The written image was verified and the OS checked in (or was left off): the deploy is finished. */
        DEPLOYED("deployed"),
        /** A step failed past its retries, failed for good, or timed out. */
        FAILED("failed"),
        /** The backoff after a failure elapsed, or the spec changed. */
        RETRIED("retried"),
        /** The node left the desired state. */
        REMOVED("removed"),
        /**
         * Its image is no longer wanted on it: it left the desired state, its image was removed, or it moved to
         * another role. Its disks are wiped before anything else runs on it.
         */
        RELEASED("released"),
        /** Every disk's partition tables and filesystem signatures wiped by the deploy ramdisk. */
        CLEANED("cleaned"),
        /** Someone asked for the node's hardware to be inspected by the deploy ramdisk (it holds no image). */
        INSPECTION_ASKED("inspection asked"),
        /** The deploy ramdisk reported the hardware and powered the machine off; nothing was written. */
        INSPECTED("inspected"),
        /** Powered off and cleaned up: nothing of the node is left to forget. */
        DEPROVISIONED("deprovisioned");

        private final String label;

        Event(String label) { this.label = label; }

        public String label() { return label; }
    }

    /** One allowed move. {@code from} null: the node enters; {@code to} null: its record is forgotten. */
    public record Edge(ProvisioningState from, Event event, ProvisioningState to) {
        @Override
        public String toString() {
            return name(from, "[*]") + " --" + event.label() + "--> " + name(to, "[*]");
        }
    }

    private static final List<Edge> EDGES = List.of(
            new Edge(null, Event.REGISTERED, REGISTERING),
            new Edge(REGISTERING, Event.BMC_ANSWERED, AVAILABLE),
            new Edge(REGISTERING, Event.ADOPTED, PROVISIONED),
            new Edge(REGISTERING, Event.FAILED, ERROR),
            // it was never managed: nothing to power off or clean up
            new Edge(REGISTERING, Event.REMOVED, null),
            new Edge(AVAILABLE, Event.IMAGE_READY, PROVISIONING),
            // nothing of ours on it: nothing to wipe
            new Edge(AVAILABLE, Event.REMOVED, DEPROVISIONING),
            // an inspection boot writes nothing: no wipe on either way out
            new Edge(AVAILABLE, Event.INSPECTION_ASKED, INSPECTING),
            new Edge(INSPECTING, Event.INSPECTED, AVAILABLE),
            new Edge(INSPECTING, Event.FAILED, ERROR),
            new Edge(INSPECTING, Event.REMOVED, DEPROVISIONING),
            new Edge(PROVISIONING, Event.DEPLOYED, PROVISIONED),
            new Edge(PROVISIONING, Event.FAILED, ERROR),
            // a disk written in part holds as much of a tenant as a whole one
            new Edge(PROVISIONING, Event.RELEASED, CLEANING),
            new Edge(PROVISIONED, Event.IMAGE_CHANGED, PROVISIONING),
            new Edge(PROVISIONED, Event.RELEASED, CLEANING),
            new Edge(CLEANING, Event.CLEANED, AVAILABLE),
            // cleaned, and no longer in the desired state
            new Edge(CLEANING, Event.REMOVED, DEPROVISIONING),
            new Edge(CLEANING, Event.FAILED, ERROR),
            new Edge(DEPROVISIONING, Event.FAILED, ERROR),
            new Edge(DEPROVISIONING, Event.DEPROVISIONED, null),
            // a failed registration, or a failed leave of a node that is desired again: start over as a new node
            new Edge(ERROR, Event.RETRIED, REGISTERING),
            // a failed deploy: a fresh one starts from AVAILABLE once the image is ready
            new Edge(ERROR, Event.RETRIED, AVAILABLE),
            new Edge(ERROR, Event.REMOVED, DEPROVISIONING),
            // a failed deploy or clean of a node whose image is no longer wanted: wiped (again) first
            new Edge(ERROR, Event.RELEASED, CLEANING),
            new Edge(ERROR, Event.REMOVED, null));

    private static final Map<List<ProvisioningState>, Edge> BY_MOVE = index(EDGES);

    /**
     * A step an operation may go back to: a boot that did not happen, or showed no sign of life, is made again from
     * the step that sets the one-time network boot (a BMC forgets it after a while, and a boot that happened used it).
     */
    public record StepRetreat(Step from, Step to, String why) {
        @Override
        public String toString() {
            return from + " --" + why + "--> " + to;
        }
    }

    private static final List<StepRetreat> RETREATS = List.of(
            // after a restart: the reboot into the ramdisk that was in flight did not happen (the machine is off)
            new StepRetreat(Step.BOOT_DEPLOY_RAMDISK, Step.SET_BOOT_PXE, "reboot lost"),
            // the same for an inspection boot
            new StepRetreat(Step.BOOT_INSPECT_RAMDISK, Step.INSPECT_BOOT_PXE, "reboot lost"),
            // the ramdisk did not report within the boot timeout
            new StepRetreat(Step.WRITE_IMAGE, Step.SET_BOOT_PXE, "boot silent"));

    private static Map<List<ProvisioningState>, Edge> index(List<Edge> edges) {
        Map<List<ProvisioningState>, Edge> byMove = new HashMap<>();
        for (Edge e : edges) {
            if (byMove.put(Arrays.asList(e.from(), e.to()), e) != null) {
                throw new IllegalStateException("two events for one move: " + e);
            }
        }
        return byMove;
    }

    /** Every allowed move, in the order the diagram draws them. */
    public static List<Edge> edges() {
        return EDGES;
    }

    /** Every step an operation may go back to, besides its first. */
    public static List<StepRetreat> retreats() {
        return RETREATS;
    }

    /** The allowed move from {@code from} to {@code to} (either may be null, see above), if there is one. */
    public static Optional<Edge> find(ProvisioningState from, ProvisioningState to) {
        return Optional.ofNullable(BY_MOVE.get(Arrays.asList(from, to)));
    }

    /** The steps of {@code operation} in the order they run; empty for a state that is not an operation. */
    public static List<Step> steps(ProvisioningState operation) {
        return Arrays.stream(Step.values()).filter(s -> s.operation() == operation).toList();
    }

    /**
     * Checks that {@code next} may follow {@code prev} (either null for no record): a change of state must be an
     * allowed move, a step must belong to its record's state, and within one operation the steps only go forward
     * (or start over at the first, when the operation is begun again, or go back by one of {@link #retreats()}).
     *
     * @throws IllegalStateException naming the node, from and to, when it may not
     */
    public static void check(NodeRecord prev, NodeRecord next) {
        ProvisioningState from = prev == null ? null : prev.state();
        ProvisioningState to = next == null ? null : next.state();
        String node = next != null ? next.name() : prev != null ? prev.name() : "?";
        if (from != to && find(from, to).isEmpty()) {
            throw new IllegalStateException("node " + node + ": illegal transition " + name(from, "(new)") + " -> "
                    + name(to, "(forgotten)") + ": not in the lifecycle table");
        }
        if (next == null || next.operation().step() == null) {
            return;
        }
        if (next.operation().step().operation() != to) {
            throw new IllegalStateException("node " + node + ": illegal transition " + describe(prev) + " -> "
                    + describe(next) + ": step " + next.operation().step() + " belongs to " + next.operation().step().operation());
        }
        Step was = from == to ? prev.operation().step() : null;
        List<Step> order = steps(to);
        Step nextStep = next.operation().step();
        boolean retreat = RETREATS.stream().anyMatch(r -> r.from() == was && r.to() == nextStep);
        if (was != null && order.indexOf(nextStep) < order.indexOf(was) && nextStep != order.get(0) && !retreat) {
            throw new IllegalStateException("node " + node + ": illegal transition " + describe(prev) + " -> "
                    + describe(next) + ": steps run in the order " + order + ", going back only by " + RETREATS);
        }
    }

    private static String describe(NodeRecord r) {
        return r == null ? "(new)" : r.operation().step() == null ? r.state().name() : r.state() + "/" + r.operation().step();
    }

    private static String name(ProvisioningState s, String none) {
        return Objects.toString(s, none);
    }
}
