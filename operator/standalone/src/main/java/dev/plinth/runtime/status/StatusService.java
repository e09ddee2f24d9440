package dev.plinth.runtime.status;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DesiredState;
import dev.plinth.agent.Inventory;
import dev.plinth.api.DiskImage;
import dev.plinth.core.ImageRef;
import dev.plinth.core.fleet.FleetPlanner;
import dev.plinth.core.fleet.RoleResolver;
import dev.plinth.core.fleet.RolloutPlanner;
import dev.plinth.core.fleet.RolloutState;
import dev.plinth.core.fleet.RoleResolver.RoleId;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.fleet.Settled;
import dev.plinth.reconcile.ImageCatalog;
import dev.plinth.engine.NodeController;
import dev.plinth.core.RevisionStatus;
import dev.plinth.revision.RevisionTracker;
import dev.plinth.source.RevisionWatcher;
import dev.plinth.store.StateStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/** Builds the read-only views the HTTP API serves, from the controller, the revision tracker and the store. */
public final class StatusService {
    private final NodeController controller;
    private final RevisionTracker revisions;
    private final StateStore store;
    private final ImageCatalog images;
    private final RevisionWatcher watcher;
    private final Function<String, Optional<Inventory>> inventories;

    public StatusService(NodeController controller, RevisionTracker revisions, StateStore store, ImageCatalog images,
            RevisionWatcher watcher) {
        this(controller, revisions, store, images, watcher, name -> Optional.empty());
    }

    /** @param inventories the latest hardware inventory of a node (the deploy agent's), shown in its detail view */
    public StatusService(NodeController controller, RevisionTracker revisions, StateStore store, ImageCatalog images,
            RevisionWatcher watcher, Function<String, Optional<Inventory>> inventories) {
        this.inventories = inventories;
        this.controller = controller;
        this.revisions = revisions;
        this.store = store;
        this.images = images;
        this.watcher = watcher;
    }

    public record Summary(RevisionStatus.Applied inForce, int rejectedRevisions, Map<String, Long> nodesByState,
            int nodesInGit, boolean converged, SourceView source) {}

    public record SourceView(Instant lastFetch, Instant lastSuccess, String lastCommit, String lastError) {}

    public Summary summary() {
        Map<String, Long> byState = new TreeMap<>();
        for (NodeRecord r : controller.records()) {
            byState.merge(r.state().name(), 1L, Long::sum);
        }
        RevisionStatus rs = revisions.status();
        return new Summary(rs.inForce(), rs.rejected().size(), byState, controller.desired().nodes().size(),
                converged(), source());
    }

    private SourceView source() {
        if (watcher == null) {
            return null;
        }
        RevisionWatcher.Status s = watcher.status();
        return new SourceView(s.lastFetchTime(), s.lastSuccessTime(), s.lastFetchedCommit(),
                s.lastError() == null ? null : s.lastError().getMessage());
    }

    /**
     * A revision is in force, the fleet is {@linkplain Settled#converged converged} on the images the fleet plan
     * tells each node, and every role's rollout is done on the image Git asks for (a rolled-back or held role is
     * not converged: Git asks for something the fleet refused).
     */
    public boolean converged() {
        // the revision first: the engine takes it after the tracker, and a state it has not taken yet is not news
        Optional<DesiredState> inForce = revisions.inForce();
        DesiredState d = controller.desired();
        FleetPlanner.FleetPlan plan = controller.plan();
        if (inForce.isEmpty() || !inForce.get().revision().equals(d.revision())
                || !Settled.converged(d, controller.records(), n -> plan.images().get(n.name()))) {
            return false;
        }
        for (var c : d.clouds().values()) {
            for (CloudRole r : c.spec().roles()) {
                RolloutState s = plan.states().get(c.name() + "/" + r.name());
                DiskImage want = d.images().get(r.image().name());
                if (s == null || s.phase() != RolloutState.Phase.STABLE || want == null || s.stableImage() == null
                        || !ImageRef.of(want).equals(ImageRef.of(s.stableImage()))) {
                    return false;
                }
            }
        }
        return true;
    }

    public List<NodeView> nodes() {
        DesiredState d = controller.desired();
        FleetPlanner.FleetPlan plan = controller.plan();
        List<NodeView> out = new ArrayList<>();
        for (NodeRecord r : controller.records()) {
            out.add(view(d, plan, r, List.of()));
        }
        out.sort(Comparator.comparing(NodeView::name));
        return out;
    }

    public Optional<NodeView> node(String name, int events) {
        return controller.record(name).map(r -> view(controller.desired(), controller.plan(), r,
                store.events(name, events), inventories.apply(name).orElse(null), true));
    }

    /**
     * What {@code plinth inspect NODE} gets: the inspection asked for (the node's BMC inventory read again at its
     * next pass) and, in words, when and what it covers. Empty when there is no such node.
     */
    public Optional<Inspection> inspect(String name) {
        Optional<NodeRecord> rec = controller.record(name);
        if (rec.isEmpty()) {
            return Optional.empty();
        }
        boolean hasImage = controller.plan().images().get(name) != null;
        String refusal = dev.plinth.core.NodeLifecycle.inspectBootRefusal(rec.get(), hasImage);
        return controller.requestInspection(name, refusal == null).map(at -> {
            String message = inspectMessage(rec.get(), refusal);
            return refusal == null
                    ? new Inspection(200, Map.of("node", name, "requestedAt", at.toString(), "message", message))
                    : new Inspection(409, Map.of("node", name, "requestedAt", at.toString(), "error", message));
        });
    }

    /**
     * The answer to {@code plinth inspect}: 200 when the deploy ramdisk is booted to inspect the node, 409 (with the
     * reason as {@code error}) when it is not; the BMC's inventory is read again either way.
     */
    public record Inspection(int status, Map<String, Object> body) {}

    /** When an inspection asked for now is made, and what it reads; {@code refusal} why no ramdisk boot (or null). */
    static String inspectMessage(NodeRecord r, String refusal) {
        String when = r.operation().step() != null || r.state() == dev.plinth.core.ProvisioningState.ERROR
                ? "once its " + r.state() + " operation is over" : "at its next pass (now)";
        String bmc = "the BMC's inventory of node " + r.name() + " is read again " + when;
        return refusal == null
                ? "node " + r.name() + " boots the deploy ramdisk to report its hardware (nothing is written), then"
                        + " is powered off and AVAILABLE again; " + bmc
                : "no inspection boot: " + refusal + "; " + bmc;
    }

    private static NodeView view(DesiredState d, FleetPlanner.FleetPlan plan, NodeRecord r,
            List<dev.plinth.store.NodeEvent> events) {
        return view(d, plan, r, events, null, false);
    }

    /** {@code desiredImage}: what the fleet plan tells the node to run now (its own, or its role's rollout's). */
    private static NodeView view(DesiredState d, FleetPlanner.FleetPlan plan, NodeRecord r,
            List<dev.plinth.store.NodeEvent> events, Inventory inventory, boolean detailed) {
        BareMetalNode n = d.nodes().get(r.name());
        DiskImage desiredImage = n == null ? null : plan.images().get(r.name());
        boolean settled = n != null && Settled.settled(r, desiredImage, n.spec().online());
        String image = desiredImage == null ? null : desiredImage.name();
        return detailed ? NodeView.detailed(r, n != null, n != null && n.spec().online(), image, settled, events,
                inventory) : NodeView.of(r, n != null, n != null && n.spec().online(), image, settled, events);
    }

    public record ImageView(String name, String url, String checksum, String format, String compression,
            String availability, String message, List<String> usedBy) {}

    public List<ImageView> images() {
        DesiredState d = controller.desired();
        Map<String, List<String>> users = new TreeMap<>();
        controller.plan().images().forEach((node, image) ->
                users.computeIfAbsent(image.name(), k -> new ArrayList<>()).add(node));
        users.values().forEach(l -> l.sort(Comparator.naturalOrder()));
        List<ImageView> out = new ArrayList<>();
        for (DiskImage i : d.images().values()) {
            var a = images.availability(i);
            out.add(new ImageView(i.name(), i.spec().url(), i.spec().checksum(), i.spec().format().yaml(),
                    i.spec().compression().yaml(), a.status().name(), a.message(),
                    users.getOrDefault(i.name(), List.of())));
        }
        return out;
    }

    /**
     * One role as status shows it.
     *
     * @param selected the number of the role's members ({@link dev.plinth.core.fleet.RoleAllocator}); {@code
     *     shortfall} are missing to reach {@code count}, {@code shortfallMessage} says why (null when none)
     * @param ambiguous nodes this role selects that another role selects too, which therefore belong to neither
     * @param rollout the role's rollout; null before the first fleet pass
     */
    public record RoleView(String name, int count, String image, int selected, int shortfall,
            String shortfallMessage, List<String> members, List<String> ambiguous, Map<String, Long> nodesByState,
            RolloutView rollout) {}

    /**
     * A role's rollout: where it stands, the stable revision (the rollback target) and the failed one.
     *
     * @param updated members admitted to the target that passed its gate
     * @param batches the batches still planned, in order
     * @param waiting why nothing moves now (gate, pause, capacity, held), null when nothing needs to
     * @param events the role's newest rollout events (started, batches, failed, rolled back, complete), oldest first
     */
    public record RolloutView(String phase, String stableRevision, String stableImage, String targetRevision,
            String targetImage, int batch, List<String> admitted, List<String> updated, Map<String, String> failed,
            List<List<String>> batches, String waiting, int available, int minAvailable, String failedRevision,
            String failedImage, String failedReason, Instant failedAt, List<String> events) {

        static RolloutView of(RolloutState s, RolloutPlanner.Decision d, List<dev.plinth.store.NodeEvent> events) {
            RolloutState.Failure f = s.failure();
            return new RolloutView(s.phase().name(), s.stableRevision(), name(s.stableImage()), s.targetRevision(),
                    name(s.targetImage()), s.batch(), List.copyOf(s.admitted().keySet()), List.copyOf(s.passed()),
                    s.failed(), d.batches(), d.waiting(), d.available(), d.minAvailable(),
                    f == null ? null : f.revision(), f == null ? null : name(f.image()),
                    f == null ? null : f.reason(), f == null ? null : f.at(),
                    events.stream().map(e -> e.at() + " " + e.message()).toList());
        }

        private static String name(DiskImage i) {
            return i == null ? null : i.name();
        }
    }

    public record CloudView(String name, List<RoleView> roles) {}

    public List<CloudView> clouds() {
        DesiredState d = controller.desired();
        RoleResolver.Resolution resolution = RoleResolver.resolve(d);
        Map<String, List<RoleView>> byCloud = new LinkedHashMap<>();
        d.clouds().keySet().forEach(c -> byCloud.put(c, new ArrayList<>()));
        Map<RoleId, CloudRole> roles = new LinkedHashMap<>();
        d.clouds().values().forEach(c -> c.spec().roles().forEach(r -> roles.put(new RoleId(c.name(), r.name()), r)));
        FleetPlanner.FleetPlan plan = controller.plan();
        for (RoleResolver.RoleCount count : resolution.roles()) {
            RolloutPlanner.Decision decision = plan.roles().get(count.role().toString());
            List<String> members = decision == null ? count.members() : decision.allocation().members();
            Map<String, Long> byState = new LinkedHashMap<>();
            for (String member : members) {
                controller.record(member).ifPresent(r -> byState.merge(r.state().name(), 1L, Long::sum));
            }
            List<String> ambiguous = resolution.ambiguous().stream()
                    .filter(p -> p.selectedBy().contains(count.role())).map(RoleResolver.Placement::node).toList();
            CloudRole role = roles.get(count.role());
            byCloud.get(count.role().cloud()).add(new RoleView(role.name(), role.count(),
                    role.image() == null ? null : role.image().name(), members.size(),
                    Math.max(0, role.count() - members.size()),
                    decision == null ? null : decision.allocation().message(), members, ambiguous, byState,
                    decision == null ? null : RolloutView.of(decision.next(), decision,
                            store.events(count.role().toString(), 10))));
        }
        List<CloudView> out = new ArrayList<>();
        byCloud.forEach((name, views) -> out.add(new CloudView(name, views)));
        return out;
    }

    public RevisionStatus revisions() {
        return revisions.status();
    }

    public DesiredState desired() {
        return controller.desired();
    }
}
