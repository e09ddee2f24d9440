package dev.plinth.core.fleet;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.ImageRef;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.fleet.RoleResolver.Placement;
import dev.plinth.core.fleet.RoleResolver.RoleId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every role's rollout planned at once, and from it the image every node of the desired state is told to run: the
 * one call a host makes per fleet pass. Pure. A node with its own {@code spec.image} runs it (pinned, not rolled); a
 * role member runs what its role's {@link RolloutPlanner} decided; a node a role selects but did not take (the role
 * is full) and a node in no role run nothing.
 */
public final class FleetPlanner {
    private FleetPlanner() {}

    /**
     * @param images the image each desired node is told to run (absent: none)
     * @param roles each role's decision, in document order
     * @param states every role's state to store (roles gone from Git are absent: delete theirs)
     */
    public record FleetPlan(Map<String, DiskImage> images, Map<String, RolloutPlanner.Decision> roles,
            Map<String, RolloutState> states) {
        public FleetPlan {
            images = Collections.unmodifiableMap(new HashMap<>(images));
            roles = Collections.unmodifiableMap(new LinkedHashMap<>(roles));
            states = Collections.unmodifiableMap(new LinkedHashMap<>(states));
        }

        public Optional<DiskImage> imageFor(String node) {
            return Optional.ofNullable(images.get(node));
        }

        /** What a fresh host shows before its first pass: nothing allowed to move. */
        public static FleetPlan empty() {
            return new FleetPlan(Map.of(), Map.of(), Map.of());
        }
    }

    public static FleetPlan plan(DesiredState desired, Map<String, NodeRecord> records,
            Map<String, ProbeResult> probes, Map<String, RolloutState> previous, Instant now) {
        RoleResolver.Resolution resolution = RoleResolver.resolve(desired);
        Map<String, DiskImage> images = new HashMap<>();
        Map<RoleId, List<BareMetalNode>> candidates = new LinkedHashMap<>();
        for (Placement p : resolution.placements().values()) {
            BareMetalNode node = desired.nodes().get(p.node());
            if (node.spec().image() != null) {
                if (p.image() != null) {
                    images.put(p.node(), p.image()); // pinned: its own image, not rolled out by a role
                }
            } else if (p.role() != null) {
                candidates.computeIfAbsent(p.role(), k -> new ArrayList<>()).add(node);
            }
        }
        // an image that failed to deploy in one role is held in every role, not tried everywhere at once
        Map<ImageRef, String> held = new HashMap<>();
        previous.values().stream().filter(s -> s.failure() != null && s.failure().deployFailed()
                && s.failure().image() != null).forEach(s -> held.put(ImageRef.of(s.failure().image()),
                        "failed to deploy in role " + s.role() + " (revision " + s.failure().revision() + ")"));
        Map<String, RolloutPlanner.Decision> roles = new LinkedHashMap<>();
        Map<String, RolloutState> states = new LinkedHashMap<>();
        for (Cloud cloud : desired.clouds().values()) {
            for (CloudRole role : cloud.spec().roles()) {
                RoleId id = new RoleId(cloud.name(), role.name());
                String key = id.toString();
                RolloutPlanner.Decision d = RolloutPlanner.plan(new RolloutPlanner.Input(key, role,
                        desired.revision(), desired.images().get(role.image().name()),
                        candidates.getOrDefault(id, List.of()), records, probes, held, previous.get(key), now));
                roles.put(key, d);
                states.put(key, d.next());
                images.putAll(d.images());
            }
        }
        return new FleetPlan(images, roles, states);
    }
}
