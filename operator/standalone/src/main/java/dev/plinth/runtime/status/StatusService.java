package dev.plinth.runtime.status;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.NodeRecord;
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

/** Builds the read-only views the HTTP API serves, from the controller, the revision tracker and the store. */
public final class StatusService {
    private final NodeController controller;
    private final RevisionTracker revisions;
    private final StateStore store;
    private final ImageCatalog images;
    private final RevisionWatcher watcher;

    public StatusService(NodeController controller, RevisionTracker revisions, StateStore store, ImageCatalog images,
            RevisionWatcher watcher) {
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

    /** A revision is in force, every node in Git is settled on what Git asks for, and nothing outside Git is still managed. */
    public boolean converged() {
        if (revisions.inForce().isEmpty()) {
            return false;
        }
        DesiredState d = controller.desired();
        if (controller.records().size() != d.nodes().size()) {
            return false;
        }
        for (BareMetalNode n : d.nodes().values()) {
            Optional<NodeRecord> r = controller.record(n.name());
            Optional<DiskImage> image = d.imageFor(n);
            if (r.isEmpty() || !settled(r.get(), image)) {
                return false;
            }
        }
        return true;
    }

    private static boolean settled(NodeRecord r, Optional<DiskImage> image) {
        return switch (r.state()) {
            case PROVISIONED -> image.isPresent() && r.image() != null
                    && r.image().checksum().equals(image.get().spec().checksum());
            case AVAILABLE -> image.isEmpty();
            default -> false;
        };
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
        return controller.record(name).map(r -> view(controller.desired(), r, store.events(name, events)));
    }

    private static NodeView view(DesiredState d, NodeRecord r, List<dev.plinth.store.NodeEvent> events) {
        BareMetalNode n = d.nodes().get(r.name());
        String desiredImage = n == null ? null : d.imageFor(n).map(DiskImage::name).orElse(null);
        return NodeView.of(r, n != null, n != null && n.spec().online(), desiredImage, events);
    }

    public record ImageView(String name, String url, String checksum, String format, String compression,
            String availability, String message, List<String> usedBy) {}

    public List<ImageView> images() {
        DesiredState d = controller.desired();
        Map<String, List<String>> users = new TreeMap<>();
        d.nodes().values().forEach(n -> d.imageFor(n).ifPresent(i ->
                users.computeIfAbsent(i.name(), k -> new ArrayList<>()).add(n.name())));
        List<ImageView> out = new ArrayList<>();
        for (DiskImage i : d.images().values()) {
            var a = images.availability(i);
            out.add(new ImageView(i.name(), i.spec().url(), i.spec().checksum(), i.spec().format().yaml(),
                    i.spec().compression().yaml(), a.status().name(), a.message(),
                    users.getOrDefault(i.name(), List.of())));
        }
        return out;
    }

    public record RoleView(String name, int count, String image, int selected, Map<String, Long> nodesByState) {}

    public record CloudView(String name, List<RoleView> roles) {}

    public List<CloudView> clouds() {
        DesiredState d = controller.desired();
        List<CloudView> out = new ArrayList<>();
        for (Cloud c : d.clouds().values()) {
            List<RoleView> roles = new ArrayList<>();
            for (CloudRole role : c.spec().roles()) {
                Map<String, Long> byState = new LinkedHashMap<>();
                int selected = 0;
                for (BareMetalNode n : d.nodes().values()) {
                    if (role.nodeSelector() != null && role.nodeSelector().matches(n.metadata().labels())) {
                        selected++;
                        controller.record(n.name()).ifPresent(r -> byState.merge(r.state().name(), 1L, Long::sum));
                    }
                }
                roles.add(new RoleView(role.name(), role.count(), role.image() == null ? null : role.image().name(),
                        selected, byState));
            }
            out.add(new CloudView(c.name(), roles));
        }
        return out;
    }

    public RevisionStatus revisions() {
        return revisions.status();
    }

    public DesiredState desired() {
        return controller.desired();
    }
}
