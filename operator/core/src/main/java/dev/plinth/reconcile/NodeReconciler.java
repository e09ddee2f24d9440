package dev.plinth.reconcile;

import dev.plinth.core.fleet.FleetPlanner;
import dev.plinth.core.fleet.RoleResolver;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.Action;
import dev.plinth.core.Decision;
import dev.plinth.core.ImageAvailability;
import dev.plinth.core.NodeInput;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.Outcome;
import dev.plinth.core.Transition;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.NodeTarget;
import dev.plinth.reconcile.RecordWriter.Write;
import dev.plinth.secrets.SecretStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * One reconcile pass of one node: the call both hosts make, standalone from its work-queue workers and the
 * operator from its JOSDK reconciler. In: the node's desired input, its last record and the clock. Out: the records
 * it wrote (through the host's {@link RecordWriter}, each before the next decision, an intent before its call) and
 * when to come back. The host owns queueing, per-node serialisation and retries of a failed pass.
 */
public final class NodeReconciler {
    private final NodeLifecycle lifecycle;
    private final ActionExecutor executor;
    private final SecretStore secrets;
    private final int maxSteps;
    private final Duration maxWait;

    /**
     * @param maxSteps decisions one pass may take before yielding to other nodes
     * @param maxWait the longest a node is left alone, whatever the lifecycle asks (drift checks rely on it)
     */
    public NodeReconciler(NodeLifecycle lifecycle, Drivers drivers, SecretStore secrets, int maxSteps,
            Duration maxWait) {
        this.lifecycle = lifecycle;
        this.executor = new ActionExecutor(drivers);
        this.secrets = secrets;
        this.maxSteps = maxSteps;
        this.maxWait = maxWait;
    }

    /**
     * The input of a node in {@code desired} without rollouts: every node a role selects is told the role's image at
     * once. For tests and tools of one node; a host of a fleet uses {@link #inputFor(DesiredState, String,
     * FleetPlanner.FleetPlan, ImageCatalog)}, so roles roll in batches behind their health gates.
     */
    public static NodeInput inputFor(DesiredState desired, String name, ImageCatalog images) {
        BareMetalNode node = desired.nodes().get(name);
        if (node == null) {
            return NodeInput.removed(name);
        }
        RoleResolver.Placement placement = RoleResolver.place(desired, node);
        return input(desired, name, node, placement, placement.image(), images);
    }

    /**
     * The input of a node in {@code desired}: its spec, the image the fleet plan tells it to run (its own, or what
     * its role's rollout admitted it to) and whether that image can be served yet.
     */
    public static NodeInput inputFor(DesiredState desired, String name, FleetPlanner.FleetPlan plan,
            ImageCatalog images) {
        BareMetalNode node = desired.nodes().get(name);
        if (node == null) {
            return NodeInput.removed(name);
        }
        NodeInput in = input(desired, name, node, RoleResolver.place(desired, node), plan.imageFor(name).orElse(null),
                images);
        return new NodeInput(in.name(), in.node(), in.image(), in.imageAvailability(), in.drift(), in.role(),
                plan.gateFor(name), in.checkIn());
    }

    /** The drift policy and the role come from the node's placement; the image from the caller. */
    private static NodeInput input(DesiredState desired, String name, BareMetalNode node,
            RoleResolver.Placement placement, DiskImage image, ImageCatalog images) {
        ImageAvailability availability = image == null ? ImageAvailability.READY : images.availability(image);
        return new NodeInput(name, node, image, availability, RoleResolver.driftPolicyFor(desired, placement),
                placement.role() == null ? "" : placement.role().toString(), null,
                RoleResolver.checkInFor(desired, placement));
    }

    public Pass reconcile(NodeInput in, NodeRecord rec, Clock clock, RecordWriter writer) {
        for (int i = 0; i < maxSteps; i++) {
            Decision d = lifecycle.decide(in, rec, clock.instant());
            if (d instanceof Decision.Persist p) {
                rec = write(writer, rec, p.next(), Write.PROGRESS, clock, false);
            } else if (d instanceof Decision.Forget) {
                if (rec != null) {
                    writer.forget(rec, NodeEvents.forgotten(rec.name(), clock.instant()));
                }
                return new Pass(null, new Pass.Next.Forgotten());
            } else if (d instanceof Decision.Wait w) {
                return new Pass(rec, after(w.after()));
            } else if (d instanceof Decision.Act a) {
                if (a.persistFirst()) {
                    rec = write(writer, rec, a.intent(), Write.INTENT, clock, false);
                }
                Outcome outcome = perform(a, rec);
                Transition t = lifecycle.apply(rec, a.action(), outcome, clock.instant());
                // the read-back succeeded: a failed one is an error (or a retry), not a recovery
                boolean recovered = a.action() instanceof Action.Verify && outcome instanceof Outcome.Evidence;
                rec = write(writer, rec, t.next(), Write.PROGRESS, clock, recovered);
                if (t.requeueAfter() != null) {
                    return new Pass(rec, after(t.requeueAfter()));
                }
            }
        }
        return new Pass(rec, new Pass.Next.Soon());
    }

    /** @param recovered the write ends a recovery: its event says what the read-back showed, whatever else changed */
    private static NodeRecord write(RecordWriter writer, NodeRecord before, NodeRecord after, Write kind,
            Clock clock, boolean recovered) {
        NodeRecord stamped = after.toBuilder().updatedAt(clock.instant()).build();
        writer.write(before, stamped, recovered ? NodeEvents.recovered(stamped) : NodeEvents.between(before, stamped),
                kind);
        return stamped;
    }

    private Pass.Next after(Duration delay) {
        return new Pass.Next.After(delay.compareTo(maxWait) <= 0 ? delay : maxWait);
    }

    private Outcome perform(Decision.Act act, NodeRecord rec) {
        Optional<BmcCredentials> credentials = secrets.bmcCredentials(rec.bmc().credentialsName());
        if (credentials.isEmpty()) {
            return Outcome.failed(FailureKind.MISSING_CREDENTIALS, "no credentials named \""
                    + rec.bmc().credentialsName() + "\": add them to the secrets file (standalone) or create the"
                    + " Secret (operator)");
        }
        NodeTarget target = new NodeTarget(rec.name(), rec.bmc(), credentials.get(), rec.bootMACAddress());
        return executor.execute(act.action(), target);
    }
}
