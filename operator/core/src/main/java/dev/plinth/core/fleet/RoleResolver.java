package dev.plinth.core.fleet;

import dev.plinth.api.ResourceRef;
import dev.plinth.api.BareMetalNode;
import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.api.DriftPolicy;
import dev.plinth.api.LabelSelector;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one place that decides which Cloud role a node belongs to and which image it should run. Status, diff, the
 * loader's checks and the engine all ask here, so they cannot disagree. Pure: a function of one desired state.
 *
 * <p>The rules (docs/yaml-reference.md says the same to users):
 * <ul>
 *   <li>A role selects a node when its {@code nodeSelector} names at least one label and the node carries every one
 *       of them. An absent or empty selector selects <em>no</em> node: a role added without a selector must not
 *       claim (and re-image) the whole fleet. This is the opposite of a Kubernetes empty selector, on purpose.</li>
 *   <li>A node selected by exactly one role is a member of that role. A node selected by two or more roles is
 *       {@linkplain Placement#ambiguous() ambiguous}: it is a member of none and gets no role image, whatever the
 *       file order. The loader rejects such a revision, so this only guards states built some other way.</li>
 *   <li>The image: the node's own {@code spec.image} when set (an explicit pin wins, as it always has), else the
 *       image of its role, else none (the node stays available).</li>
 * </ul>
 */
public final class RoleResolver {
    private RoleResolver() {}

    /** A role, named by its cloud and its name within that cloud. */
    public record RoleId(String cloud, String role) {
        @Override
        public String toString() {
            return cloud + "/" + role;
        }
    }

    /**
     * Where one node stands.
     *
     * @param role the role the node is a member of; null when no role, or more than one, selects it
     * @param selectedBy every role whose selector matches the node, in document order
     * @param image the image the node should run; null when none
     */
    public record Placement(String node, RoleId role, List<RoleId> selectedBy, DiskImage image) {
        public Placement {
            selectedBy = List.copyOf(selectedBy);
        }

        public boolean ambiguous() {
            return selectedBy.size() > 1;
        }
    }

    /**
     * How one role is filled: the nodes it wants against the nodes that are its members. Reported, not acted on:
     * allocating nodes to a role is not done here.
     */
    public record RoleCount(RoleId role, int wanted, List<String> members) {
        public RoleCount {
            members = List.copyOf(members);
        }

        /** Members missing to reach {@code count}; 0 when the role has enough or more. */
        public int shortfall() {
            return Math.max(0, wanted - members.size());
        }
    }

    /** Every node's placement (in node order) and every role's count (in document order). */
    public record Resolution(Map<String, Placement> placements, List<RoleCount> roles) {
        public Resolution {
            placements = Collections.unmodifiableMap(new LinkedHashMap<>(placements));
            roles = List.copyOf(roles);
        }

        public List<Placement> ambiguous() {
            return placements.values().stream().filter(Placement::ambiguous).toList();
        }
    }

    /** Whether {@code role} selects a node with these labels: a non-empty selector whose labels it all carries. */
    public static boolean selects(CloudRole role, Map<String, String> labels) {
        LabelSelector s = role.nodeSelector();
        return s != null && !s.matchLabels().isEmpty() && s.matches(labels);
    }

    /** One node's placement; costs one selector match per role. */
    public static Placement place(DesiredState state, BareMetalNode node) {
        List<RoleId> selectedBy = new ArrayList<>(1);
        CloudRole member = null;
        for (Cloud cloud : state.clouds().values()) {
            for (CloudRole role : cloud.spec().roles()) {
                if (selects(role, node.metadata().labels())) {
                    selectedBy.add(new RoleId(cloud.name(), role.name()));
                    member = role;
                }
            }
        }
        if (selectedBy.size() != 1) {
            member = null;
        }
        ResourceRef ref = node.spec().image() != null ? node.spec().image()
                : member == null ? null : member.image();
        DiskImage image = ref == null ? null : state.images().get(ref.name());
        return new Placement(node.name(), member == null ? null : selectedBy.get(0), selectedBy, image);
    }

    /** The image {@code node} should run in {@code state}, by the rules above. */
    public static Optional<DiskImage> imageFor(DesiredState state, BareMetalNode node) {
        return Optional.ofNullable(place(state, node).image());
    }

    /**
     * What to do about drift on {@code node}: its role's policy, else its cloud's, else heal (also for a node in no
     * role, as before policies existed).
     */
    public static DriftPolicy driftPolicyFor(DesiredState state, BareMetalNode node) {
        return driftPolicyFor(state, place(state, node));
    }

    /** {@link #driftPolicyFor(DesiredState, BareMetalNode)} of a placement already made. */
    public static DriftPolicy driftPolicyFor(DesiredState state, Placement placement) {
        RoleId id = placement.role();
        if (id == null) {
            return DriftPolicy.HEAL;
        }
        Cloud cloud = state.clouds().get(id.cloud());
        for (CloudRole role : cloud.spec().roles()) {
            if (role.name().equals(id.role()) && role.drift() != null) {
                return role.drift();
            }
        }
        return cloud.spec().drift() != null ? cloud.spec().drift() : DriftPolicy.HEAL;
    }

    /**
     * Whether a deploy of the node waits for its written OS to check in: its role's {@code healthCheck.checkIn}
     * (default true); true for a node in no role.
     */
    public static boolean checkInFor(DesiredState state, Placement placement) {
        RoleId id = placement.role();
        if (id == null) {
            return true;
        }
        for (CloudRole role : state.clouds().get(id.cloud()).spec().roles()) {
            if (role.name().equals(id.role())) {
                return role.healthCheck() == null || role.healthCheck().checkIn();
            }
        }
        return true;
    }

    /** Every node placed and every role counted. */
    public static Resolution resolve(DesiredState state) {
        Map<String, Placement> placements = new LinkedHashMap<>();
        Map<RoleId, List<String>> members = new LinkedHashMap<>();
        for (Cloud cloud : state.clouds().values()) {
            for (CloudRole role : cloud.spec().roles()) {
                members.put(new RoleId(cloud.name(), role.name()), new ArrayList<>());
            }
        }
        for (BareMetalNode node : state.nodes().values()) {
            Placement p = place(state, node);
            placements.put(node.name(), p);
            if (p.role() != null) {
                members.get(p.role()).add(node.name());
            }
        }
        List<RoleCount> counts = new ArrayList<>();
        for (Cloud cloud : state.clouds().values()) {
            for (CloudRole role : cloud.spec().roles()) {
                RoleId id = new RoleId(cloud.name(), role.name());
                counts.add(new RoleCount(id, role.count(), members.get(id)));
            }
        }
        return new Resolution(placements, counts);
    }
}
