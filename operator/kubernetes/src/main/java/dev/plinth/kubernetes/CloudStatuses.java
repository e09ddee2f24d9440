package dev.plinth.kubernetes;

import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.core.fleet.FleetPlanner.FleetPlan;
import dev.plinth.core.fleet.RoleResolver;
import dev.plinth.core.fleet.RolloutPlanner;
import dev.plinth.core.fleet.RolloutState;
import dev.plinth.json.Json;
import dev.plinth.kubernetes.crd.CloudStatus;
import dev.plinth.kubernetes.crd.Condition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A Cloud's status from a fleet plan, pure: each role's members, shortfall and rollout, and the kstatus conditions.
 * Stalled when only the user can help: a role lacks nodes, a node is selected by two roles, a role names no known
 * image, or a role's revision failed its health gate (rolling back, rolled back and held, or held with no stable
 * image). Reconciling while a role rolls or members provision; Ready otherwise.
 */
final class CloudStatuses {
    private CloudStatuses() {}

    /** Why a role was not planned (its members wait, told nothing new): {@code reason} is the condition's. */
    record Unplanned(String reason, String message) {
        static Unplanned unknownImage(String image) {
            return new Unplanned("UnknownImage", "image \"" + image + "\" is no DiskImage of the namespace");
        }
    }

    /**
     * @param cloud the cloud, as the core knows it
     * @param plan the namespace's plan (roles keyed "cloud/role")
     * @param resolution every node of the namespace placed by selectors (for nodes two roles select)
     * @param unplanned roles left out of the plan (an unknown image, a spec the schema could not check), with why
     * @param ready whether a node (by key) has its Ready condition True
     */
    static CloudStatus of(Cloud cloud, long generation, FleetPlan plan, RoleResolver.Resolution resolution,
            Map<String, Unplanned> unplanned, Predicate<String> ready) {
        CloudStatus status = new CloudStatus();
        status.observedGeneration = generation;
        List<String> stalled = new ArrayList<>();
        String stalledReason = null;
        List<String> waiting = new ArrayList<>();
        String waitingReason = null;
        Set<String> ambiguous = resolution.placements().values().stream()
                .filter(p -> p.selectedBy().size() > 1 && p.selectedBy().stream()
                        .anyMatch(id -> id.cloud().equals(cloud.name())))
                .map(p -> name(p.node()) + " (selected by " + p.selectedBy() + ")")
                .collect(Collectors.toCollection(java.util.TreeSet::new));
        if (!ambiguous.isEmpty()) {
            stalled.add("nodes selected by two roles, members of neither: " + String.join(", ", ambiguous));
            stalledReason = "Ambiguous";
        }
        for (CloudRole role : cloud.spec().roles()) {
            String key = cloud.name() + "/" + role.name();
            CloudStatus.RoleStatus r = new CloudStatus.RoleStatus();
            r.name = role.name();
            r.count = role.count();
            status.roles.add(r);
            Unplanned why = unplanned.get(key);
            RolloutPlanner.Decision d = plan.roles().get(key);
            if (why != null || d == null) {
                why = why != null ? why : Unplanned.unknownImage(role.image().name());
                r.members = 0;
                r.ready = 0;
                stalled.add("role " + role.name() + ": " + why.message() + "; not rolled out, its members wait");
                stalledReason = stalledReason == null ? why.reason() : stalledReason;
                continue;
            }
            RolloutState s = d.next();
            r.members = s.members().size();
            r.ready = (int) s.members().stream().filter(ready).count();
            r.shortfall = d.allocation().shortfall();
            r.rollout = rollout(d);
            if (r.shortfall > 0) {
                stalled.add("role " + r.name + " has " + r.members + " of " + r.count + " nodes: label "
                        + r.shortfall + " more to match its nodeSelector");
                stalledReason = stalledReason == null ? "Shortfall" : stalledReason;
            }
            String failed = failed(s, d.waiting());
            if (failed != null) {
                stalled.add("role " + r.name + ": " + failed);
                stalledReason = stalledReason == null ? "RolloutFailed" : stalledReason;
            } else if (s.phase() == RolloutState.Phase.ROLLING) {
                waiting.add("role " + r.name + ": rolling to " + imageName(s.targetImage()) + " (revision "
                        + s.targetRevision() + "), " + s.passed().size() + " of " + r.members + " updated, batch "
                        + s.batch() + (d.waiting() == null ? "" : "; " + d.waiting()));
                waitingReason = "Rolling";
            } else if (r.ready < r.members) {
                waiting.add("role " + r.name + ": " + r.ready + " of " + r.members + " nodes Ready");
                waitingReason = waitingReason == null ? "Provisioning" : waitingReason;
            }
        }
        String trueOne = !stalled.isEmpty() ? NodeConditions.STALLED
                : !waiting.isEmpty() ? NodeConditions.RECONCILING : NodeConditions.READY;
        String reason = !stalled.isEmpty() ? stalledReason : !waiting.isEmpty() ? waitingReason : "AllReady";
        String message = !stalled.isEmpty() ? String.join("; ", stalled)
                : !waiting.isEmpty() ? String.join("; ", waiting) : "every role has its nodes, all Ready";
        status.conditions = List.of(
                new Condition(NodeConditions.READY, trueOne.equals(NodeConditions.READY), reason, message, generation),
                new Condition(NodeConditions.RECONCILING, trueOne.equals(NodeConditions.RECONCILING), reason, message,
                        generation),
                new Condition(NodeConditions.STALLED, trueOne.equals(NodeConditions.STALLED), reason, message,
                        generation));
        return status;
    }

    /**
     * Why the role does not run what its Cloud asks, when the reason is a failed revision; null otherwise. A
     * rollback in progress, a rolled-back target the Cloud still names (held until it changes), a first rollout
     * with nothing to return to, and an image held because it failed to deploy in another role.
     */
    static String failed(RolloutState s, String waiting) {
        RolloutState.Failure f = s.failure();
        boolean stillAsked = f != null && f.key().equals(s.targetKey());
        if (s.phase() == RolloutState.Phase.ROLLING_BACK || s.phase() == RolloutState.Phase.HELD || stillAsked) {
            String what = f == null ? "held" : "revision " + f.revision() + " (" + imageName(f.image())
                    + ") failed its health gate: " + f.reason();
            return what + (s.phase() == RolloutState.Phase.ROLLING_BACK ? "; rolling back to "
                    + imageName(s.stableImage()) + " (revision " + s.stableRevision() + ")"
                    : s.phase() == RolloutState.Phase.HELD ? "; no stable image to return to: members keep theirs"
                    : "; rolled back to " + imageName(s.stableImage()) + " (revision " + s.stableRevision()
                            + "), held until the role's image or health check changes");
        }
        return waiting != null && waiting.startsWith("held: image") ? waiting : null;
    }

    static CloudStatus.RolloutStatus rollout(RolloutPlanner.Decision d) {
        RolloutState s = d.next();
        CloudStatus.RolloutStatus r = new CloudStatus.RolloutStatus();
        r.phase = s.phase().name();
        r.stableRevision = s.stableRevision();
        r.stableImage = s.stableImage() == null ? null : s.stableImage().name();
        r.targetRevision = s.targetRevision();
        r.targetImage = s.targetImage() == null ? null : s.targetImage().name();
        r.batch = s.batch();
        r.admitted = s.admitted().keySet().stream().map(CloudStatuses::name).toList();
        r.updated = s.passed().stream().map(CloudStatuses::name).toList();
        Map<String, String> failed = new LinkedHashMap<>();
        s.failed().forEach((n, why) -> failed.put(name(n), why));
        r.failed = failed;
        r.batches = d.batches().stream().map(b -> b.stream().map(CloudStatuses::name).toList()).toList();
        r.waiting = d.waiting();
        r.available = d.available();
        r.minAvailable = d.minAvailable();
        if (s.failure() != null) {
            r.failedRevision = s.failure().revision();
            r.failedImage = imageName(s.failure().image());
            r.failedReason = s.failure().reason();
            r.failedAt = s.failure().at() == null ? null : s.failure().at().toString();
        }
        r.state = Json.write(s);
        return r;
    }

    /** The rollout state a status holds, or null (a Cloud not planned yet, or written by an older operator). */
    static RolloutState stateOf(CloudStatus.RoleStatus r) {
        return r == null || r.rollout == null || r.rollout.state == null ? null
                : Json.read(r.rollout.state, RolloutState.class);
    }

    /** The node's own name in its namespace (the core knows it as namespace/name). */
    static String name(String nodeKey) {
        int slash = nodeKey.indexOf('/');
        return slash < 0 ? nodeKey : nodeKey.substring(slash + 1);
    }

    private static String imageName(dev.plinth.api.DiskImage image) {
        return image == null ? "no image" : image.name();
    }
}
