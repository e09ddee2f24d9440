package dev.plinth.runtime.status;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DesiredState;
import dev.plinth.agent.Inventory;
import dev.plinth.api.DiskImage;
import dev.plinth.core.fleet.RoleResolver;
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

    /** A revision is in force and the fleet is {@linkplain Settled#converged converged} on it. */
    public boolean converged() {
        return revisions.inForce().isPresent() && Settled.converged(controller.desired(), controller.records());
    }

    public List<NodeView> nodes() {
        DesiredState d = controller.desired();
        List<NodeView> out = new ArrayList<>();
        for (NodeRecord r : controller.records()) {
            out.add(view(d, r, List.of()));
        }
        out.sort(Comparator.comparing(NodeView::name));
        return out;
    }

    public Optional<NodeView> node(String name, int events) {
        return controller.record(name).map(r -> view(controller.desired(), r, store.events(name, events),
                inventories.apply(name).orElse(null)));
    }

    private static NodeView view(DesiredState d, NodeRecord r, List<dev.plinth.store.NodeEvent> events) {
        return view(d, r, events, null);
    }

    private static NodeView view(DesiredState d, NodeRecord r, List<dev.plinth.store.NodeEvent> events,
            Inventory inventory) {
        BareMetalNode n = d.nodes().get(r.name());
        DiskImage desiredImage = n == null ? null : RoleResolver.imageFor(d, n).orElse(null);
        boolean settled = n != null && Settled.settled(r, desiredImage, n.spec().online());
        return NodeView.of(r, n != null, n != null && n.spec().online(),
                desiredImage == null ? null : desiredImage.name(), settled, events, inventory);
    }

    public record ImageView(String name, String url, String checksum, String format, String compression,
            String availability, String message, List<String> usedBy) {}

    public List<ImageView> images() {
        DesiredState d = controller.desired();
        Map<String, List<String>> users = new TreeMap<>();
        RoleResolver.resolve(d).placements().values().stream().filter(p -> p.image() != null).forEach(p ->
                users.computeIfAbsent(p.image().name(), k -> new ArrayList<>()).add(p.node()));
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
     * @param selected the role's members (see {@link RoleResolver}); {@code shortfall} of them are missing to reach
     *     {@code count}
     * @param ambiguous nodes this role selects that another role selects too, which therefore belong to neither
     */
    public record RoleView(String name, int count, String image, int selected, int shortfall,
            List<String> ambiguous, Map<String, Long> nodesByState) {}

    public record CloudView(String name, List<RoleView> roles) {}

    public List<CloudView> clouds() {
        DesiredState d = controller.desired();
        RoleResolver.Resolution resolution = RoleResolver.resolve(d);
        Map<String, List<RoleView>> byCloud = new LinkedHashMap<>();
        d.clouds().keySet().forEach(c -> byCloud.put(c, new ArrayList<>()));
        Map<RoleId, CloudRole> roles = new LinkedHashMap<>();
        d.clouds().values().forEach(c -> c.spec().roles().forEach(r -> roles.put(new RoleId(c.name(), r.name()), r)));
        for (RoleResolver.RoleCount count : resolution.roles()) {
            Map<String, Long> byState = new LinkedHashMap<>();
            for (String member : count.members()) {
                controller.record(member).ifPresent(r -> byState.merge(r.state().name(), 1L, Long::sum));
            }
            List<String> ambiguous = resolution.ambiguous().stream()
                    .filter(p -> p.selectedBy().contains(count.role())).map(RoleResolver.Placement::node).toList();
            CloudRole role = roles.get(count.role());
            byCloud.get(count.role().cloud()).add(new RoleView(role.name(), role.count(),
                    role.image() == null ? null : role.image().name(), count.members().size(), count.shortfall(),
                    ambiguous, byState));
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
