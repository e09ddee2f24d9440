package dev.plinth.core.fleet;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.DisruptionGate;
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
     * @param disruptions every node with a move out of its role or an image drift to heal, by node: let go, or
     *     held with why ({@link DisruptionBudget}); a node absent was not seen wanting one
     */
    public record FleetPlan(Map<String, DiskImage> images, Map<String, RolloutPlanner.Decision> roles,
            Map<String, RolloutState> states, Map<String, DisruptionGate> disruptions) {
        public FleetPlan {
            images = Collections.unmodifiableMap(new HashMap<>(images));
            roles = Collections.unmodifiableMap(new LinkedHashMap<>(roles));
            states = Collections.unmodifiableMap(new LinkedHashMap<>(states));
            disruptions = Collections.unmodifiableMap(new HashMap<>(disruptions));
        }

        public FleetPlan(Map<String, DiskImage> images, Map<String, RolloutPlanner.Decision> roles,
                Map<String, RolloutState> states) {
            this(images, roles, states, Map.of());
        }

        public Optional<DiskImage> imageFor(String node) {
            return Optional.ofNullable(images.get(node));
        }

        /**
         * Whether {@code node} may be moved out of its role or re-imaged to heal drift now. A node the plan did not
         * see wanting either waits for a plan that does (its drift came after this plan was made).
         */
        public DisruptionGate gateFor(String node) {
            return disruptions.getOrDefault(node, UNSEEN);
        }

        private static final DisruptionGate UNSEEN = new DisruptionGate(true, false, null);

        /** What a fresh host shows before its first pass: nothing allowed to move. */
        public static FleetPlan empty() {
            return new FleetPlan(Map.of(), Map.of(), Map.of());
        }
    }

    /** With the default fleet-wide limit on image heals. */
    public static FleetPlan plan(DesiredState desired, Map<String, NodeRecord> records,
            Map<String, ProbeResult> probes, Map<String, RolloutState> previous, Instant now) {
        return plan(desired, records, probes, previous, now, cloud -> desired.revision(), HealLimit.DEFAULT);
    }

    /** @param healLimit how many image-drift heals may run, and start per minute, fleet-wide */
    public static FleetPlan plan(DesiredState desired, Map<String, NodeRecord> records,
            Map<String, ProbeResult> probes, Map<String, RolloutState> previous, Instant now, HealLimit healLimit) {
        return plan(desired, records, probes, previous, now, cloud -> desired.revision(), healLimit);
    }

    /**
     * As {@link #plan(DesiredState, Map, Map, Map, Instant)}, with the revision of each cloud given by the host: in
     * standalone mode one Git commit carries every cloud (the desired state's revision); in operator mode each Cloud
     * resource has its own (its GitSource commit, or its generation).
     */
    public static FleetPlan plan(DesiredState desired, Map<String, NodeRecord> records,
            Map<String, ProbeResult> probes, Map<String, RolloutState> previous, Instant now,
            java.util.function.Function<Cloud, String> revisionOf) {
        return plan(desired, records, probes, previous, now, revisionOf, HealLimit.DEFAULT);
    }

    /** The whole plan: {@code revisionOf} gives each cloud's revision, {@code healLimit} the fleet-wide heal limit. */
    public static FleetPlan plan(DesiredState desired, Map<String, NodeRecord> records,
            Map<String, ProbeResult> probes, Map<String, RolloutState> previous, Instant now,
            java.util.function.Function<Cloud, String> revisionOf, HealLimit healLimit) {
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
                        revisionOf.apply(cloud), desired.images().get(role.image().name()),
                        candidates.getOrDefault(id, List.of()), records, probes, held, previous.get(key), now));
                roles.put(key, d);
                states.put(key, d.next());
                images.putAll(d.images());
            }
        }
        Map<String, DisruptionGate> gates = disruptions(desired, resolution, records, roles);
        limitHeals(gates, records, healLimit, now);
        return new FleetPlan(images, roles, states, gates);
    }

    /**
     * The image-drift heals the roles let go, under the fleet-wide {@link HealLimit}: running heals are nodes being
     * re-imaged for image drift; those started within the last minute count against the rate too (a heal that ended
     * within the minute is not counted: a re-image takes minutes).
     */
    static void limitHeals(Map<String, DisruptionGate> gates, Map<String, NodeRecord> records, HealLimit limit,
            Instant now) {
        int running = 0;
        int recent = 0;
        List<String> wanted = new ArrayList<>();
        for (NodeRecord r : records.values()) {
            boolean imageHeal = r.drift().seen() && dev.plinth.core.NodeLifecycle.IMAGE.equals(r.drift().what());
            if (!imageHeal) {
                continue;
            }
            if (r.state() == dev.plinth.core.ProvisioningState.PROVISIONING) {
                running++;
                Instant started = r.operation().startedAt();
                if (started != null && started.isAfter(now.minus(java.time.Duration.ofMinutes(1)))) {
                    recent++;
                }
            } else if (r.state() == dev.plinth.core.ProvisioningState.PROVISIONED
                    && NodeRecord.Drift.HEALING.equals(r.drift().action())) { // not reported, not held per node
                DisruptionGate g = gates.get(r.name());
                if (g != null && g.blocked() == null) {
                    wanted.add(r.name());
                }
            }
        }
        limit.held(running, recent, wanted).forEach((node, why) -> gates.put(node, new DisruptionGate(true, false,
                why)));
    }

    /**
     * Moves out of a role and image-drift heals of nodes in service, under their role's capacity: each role's nodes
     * in service are its members and the nodes leaving it that are still up, less the members its rollout has taken
     * (admitted, not through their gate); the floor is the rollout's, {@code count - maxUnavailable}.
     */
    static Map<String, DisruptionGate> disruptions(DesiredState desired, RoleResolver.Resolution resolution,
            Map<String, NodeRecord> records, Map<String, RolloutPlanner.Decision> roles) {
        Map<String, List<String>> leaving = new HashMap<>();
        List<DisruptionBudget.Disruption> wanted = new ArrayList<>();
        Map<String, DisruptionGate> gates = new HashMap<>();
        DisruptionGate go = new DisruptionGate(true, true, null);
        Map<String, String> memberOf = new HashMap<>();
        // a member the rollout admitted is re-imaged by the rollout, within its budget already
        roles.forEach((k, d) -> d.next().members().stream().filter(m -> !d.next().admitted().containsKey(m))
                .forEach(m -> memberOf.put(m, k)));
        for (NodeRecord r : records.values()) {
            BareMetalNode node = desired.nodes().get(r.name());
            Placement p = resolution.placements().get(r.name());
            if (node == null || p == null) {
                continue; // leaving Git is the removal guard's
            }
            String now = p.role() == null ? "" : p.role().toString();
            boolean moves = r.role() != null && !r.role().equals(now); // as NodeLifecycle.moved
            if (moves) {
                if (roles.containsKey(r.role())) {
                    leaving.computeIfAbsent(r.role(), k -> new ArrayList<>()).add(r.name());
                }
                if (roles.containsKey(r.role()) && inService(r)) {
                    wanted.add(new DisruptionBudget.Disruption(r.name(), r.role(),
                            "move to " + (now.isEmpty() ? "no role" : "role " + now)));
                } else {
                    gates.put(r.name(), go); // out of service already, or its role is gone: costs no capacity
                }
            } else if (r.drift().seen() && dev.plinth.core.NodeLifecycle.IMAGE.equals(r.drift().what())) {
                String role = memberOf.get(r.name());
                if (role != null && inService(r)) {
                    wanted.add(new DisruptionBudget.Disruption(r.name(), role, "image drift heal"));
                } else {
                    gates.put(r.name(), go); // not a role's member in service: no role's capacity to keep
                }
            }
        }
        Map<String, DisruptionBudget.Role> budgets = new HashMap<>();
        for (Map.Entry<String, RolloutPlanner.Decision> e : roles.entrySet()) {
            RolloutState s = e.getValue().next();
            int inService = 0;
            for (String m : s.members()) {
                NodeRecord r = records.get(m);
                boolean taken = s.admitted().containsKey(m) && !s.passed().contains(m) && !s.failed().containsKey(m);
                boolean servesAnother = r != null && r.role() != null && !r.role().isEmpty()
                        && !r.role().equals(e.getKey()); // moving in: it still serves the role it leaves
                if (r != null && !taken && !servesAnother && inService(r)) {
                    inService++;
                }
            }
            for (String n : leaving.getOrDefault(e.getKey(), List.of())) {
                inService += inService(records.get(n)) ? 1 : 0;
            }
            budgets.put(e.getKey(), new DisruptionBudget.Role(e.getKey(), inService, e.getValue().minAvailable()));
        }
        Map<String, String> held = DisruptionBudget.held(budgets, wanted);
        for (DisruptionBudget.Disruption d : wanted) {
            String why = held.get(d.node());
            gates.put(d.node(), why == null ? go : new DisruptionGate(true, false, why));
        }
        return gates;
    }

    /**
     * Up and serving, whatever image: provisioned, no operation, error or call in flight, not read powered off. A
     * drifted node that still runs counts: re-imaging it takes it out.
     */
    static boolean inService(NodeRecord r) {
        return r.state() == dev.plinth.core.ProvisioningState.PROVISIONED && r.operation().step() == null
                && r.error().kind() == null && r.operation().inFlight() == null
                && r.power().state() != dev.plinth.driver.PowerState.OFF;
    }
}
