package dev.plinth.core.fleet;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DiskImage;
import dev.plinth.api.HealthCheck;
import dev.plinth.core.ImageRef;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.core.fleet.RolloutState.Failure;
import dev.plinth.core.fleet.RolloutState.Phase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One role's rollout, decided: which members may run the role's new image now, which passed or failed their health
 * gate, when the rollout is done or must roll back, and so which image each member is told to run. Pure: a function
 * of the desired role, the members' records, probe results, the last {@link RolloutState} and the time; calling it
 * again with the same input gives the same output (hosts call it on every change and periodically).
 *
 * <p>The rules (docs/rollouts.md says the same to users):
 * <ul>
 *   <li><b>Capacity.</b> A member is available when it is settled ({@link Settled}) on the image it is told to run
 *       and, if it runs the new image, passed the gate. Failed, drifted, busy and missing members are unavailable. A
 *       healthy member is admitted only while at least {@code count - maxUnavailable} members stay available; an
 *       unavailable member costs no capacity to admit.</li>
 *   <li><b>Batches.</b> A batch is admitted only when the previous one has passed (and the pause after it is over).
 *       The first batch of a rollout (the canary) is at most {@code maxUnavailable} nodes, unavailable ones
 *       included, so a broken image meets a few nodes, not the whole role. With a partition label, one side rolls
 *       at a time, in label order.</li>
 *   <li><b>Gate.</b> An admitted member passes when it is settled on the new image with its OS checked in (the
 *       image verified) and, if the role probes, its latest probe after admission succeeded. It fails when its
 *       deploy fails (ERROR) or it has not passed within {@code timeoutSeconds} of its admission.</li>
 *   <li><b>Rollback.</b> More than {@code maxFailures} failed members stop the rollout: the failure is recorded, the
 *       members that ran or were moving to the new image are admitted back to the stable one, and the same target
 *       (image and health check) is held until a commit changes it.</li>
 *   <li>A member not admitted keeps the image it runs.</li>
 * </ul>
 */
public final class RolloutPlanner {
    private RolloutPlanner() {}

    /**
     * @param role "cloud/role"
     * @param spec the role in the desired state
     * @param revision the desired state's revision
     * @param image the role's image in the desired state
     * @param candidates nodes the role may take (see {@link RoleAllocator#allocate})
     * @param records actual state by node name
     * @param probes the latest probe result by node
     * @param heldImages images that failed to deploy in some role, with why: not started anywhere
     * @param previous the role's last state, null for a new role
     */
    public record Input(String role, CloudRole spec, String revision, DiskImage image, List<BareMetalNode> candidates,
            Map<String, NodeRecord> records, Map<String, ProbeResult> probes, Map<ImageRef, String> heldImages,
            RolloutState previous, Instant now) {}

    /**
     * @param next the state to store (equal to the previous one when nothing changed)
     * @param images the image each member is told to run (absent: none)
     * @param events what changed, for the role's history and log
     * @param batches the batches still planned after the admitted ones, in order (for diff and status)
     * @param toProbe admitted members on the new image whose gate waits for a probe
     * @param waiting why nothing moves now, null when something does or nothing has to
     */
    public record Decision(RolloutState next, Map<String, DiskImage> images, List<String> events,
            RoleAllocator.Allocation allocation, List<List<String>> batches, Set<String> toProbe, String waiting,
            int available, int minAvailable) {}

    /** Identifies a target: a newer commit with the same image and health check is not a new rollout. */
    public static String key(DiskImage image, HealthCheck check) {
        return image == null ? "none" : image.name() + "@" + image.spec().checksum() + " " + check;
    }

    /**
     * Plans until the state stops changing (at most three rounds, at the same instant): a member admitted that
     * already runs the target passes its gate in the next round, so a role already on its image is stable after
     * one call rather than one fleet pass later. Events of every round are kept.
     */
    public static Decision plan(Input in) {
        Decision d = new Run(in).plan();
        List<String> events = new ArrayList<>(d.events());
        for (int round = 1; round < 3 && !d.next().equals(in.previous()); round++) {
            Input again = new Input(in.role(), in.spec(), in.revision(), in.image(), in.candidates(), in.records(),
                    in.probes(), in.heldImages(), d.next(), in.now());
            Decision next = new Run(again).plan();
            if (next.next().equals(d.next())) {
                break;
            }
            events.addAll(next.events());
            d = next;
            in = again;
        }
        return new Decision(d.next(), d.images(), events, d.allocation(), d.batches(), d.toProbe(), d.waiting(),
                d.available(), d.minAvailable());
    }

    /** One planning of one role; holds the working copies of the state's fields. */
    private static final class Run {
        final Input in;
        final CloudRole spec;
        final HealthCheck check;
        final Map<String, BareMetalNode> nodes = new HashMap<>();
        final List<String> events = new ArrayList<>();
        RolloutState s;
        Phase phase;
        Map<String, Instant> admitted;
        Set<String> passed;
        Map<String, String> failed;
        String waiting;

        Run(Input in) {
            this.in = in;
            this.spec = in.spec();
            this.check = spec.healthCheck() == null ? HealthCheck.DEFAULT : spec.healthCheck();
            in.candidates().forEach(n -> nodes.put(n.name(), n));
            this.s = in.previous() == null ? RolloutState.fresh(in.role()) : in.previous();
        }

        Decision plan() {
            RoleAllocator.Allocation allocation = RoleAllocator.allocate(spec, in.candidates(), s.members(),
                    in.records());
            List<String> members = allocation.members();
            phase = s.phase();
            admitted = new TreeMap<>(s.admitted());
            passed = new TreeSet<>(s.passed());
            failed = new TreeMap<>(s.failed());
            Set<String> memberSet = new java.util.HashSet<>(members); // retainAll with a List is quadratic
            admitted.keySet().retainAll(memberSet);
            passed.retainAll(memberSet);
            failed.keySet().retainAll(memberSet);
            DiskImage stable = s.stableImage();
            String stableRevision = s.stableRevision();
            DiskImage target = s.targetImage();
            String targetRevision = s.targetRevision();
            String targetKey = s.targetKey();
            Instant pausedUntil = s.pausedUntil();
            int batch = s.batch();
            Failure failure = s.failure();

            // a new target: a commit changed the image or the health check, and it is not the one that failed
            String key = key(in.image(), check);
            String held = in.image() == null ? null : in.heldImages().get(ImageRef.of(in.image()));
            if (!key.equals(targetKey)) {
                if (failure != null && key.equals(failure.key())) {
                    waiting = "held: revision " + failure.revision() + " failed: " + failure.reason();
                } else if (held != null && !(target != null && ImageRef.of(target).equals(ImageRef.of(in.image())))) {
                    waiting = "held: image " + in.image().name() + " " + held;
                } else {
                    target = in.image();
                    targetRevision = in.revision();
                    targetKey = key;
                    admitted.clear();
                    passed.clear();
                    failed.clear();
                    pausedUntil = null;
                    batch = 0;
                    phase = Phase.ROLLING;
                    events.add("rollout of " + name(target) + " (revision " + in.revision() + ") started");
                }
            }

            // the gate of every admitted member still in flight (a rollback's: only the check-in)
            boolean hadInFlight = admitted.keySet().stream().anyMatch(this::inFlight);
            Set<String> toProbe = new TreeSet<>();
            for (Map.Entry<String, Instant> e : admitted.entrySet()) {
                String m = e.getKey();
                if (!inFlight(m)) {
                    continue;
                }
                NodeRecord r = in.records().get(m);
                if (onImage(m, target)) {
                    ProbeResult p = in.probes().get(m);
                    // a rollback returns to what ran before: its OS checking in is enough, the probes may be
                    // failing for the very reason the rollout failed
                    boolean probed = !check.probes() || phase == Phase.ROLLING_BACK
                            || p != null && p.ok() && !p.at().isBefore(e.getValue());
                    if (probed) {
                        passed.add(m);
                        continue;
                    }
                    toProbe.add(m);
                }
                if (phase == Phase.ROLLING_BACK) {
                    // a rollback waits for the stable image's check-in however long it takes (the lifecycle's own
                    // timeouts and retries bound it): failing it here would leave the role rolling back for ever
                    continue;
                }
                // an error counts when it is the deploy of this target that failed, not an older one the node
                // still shows (an ERROR member admitted to a new image retries it first)
                if (r != null && r.state() == ProvisioningState.ERROR && target != null
                        && ImageRef.of(target).equals(r.deploy().targetImage())) {
                    failed.put(m, "deploy failed: " + r.error().message());
                } else if (!in.now().isBefore(e.getValue().plusSeconds(check.timeoutSeconds()))) {
                    ProbeResult p = in.probes().get(m);
                    failed.put(m, "no health within " + check.timeoutSeconds() + " s: " + (onImage(m, target)
                            ? "probe " + (p == null ? "not answered" : p.message())
                            : "not running " + name(target) + " with its OS checked in"));
                    toProbe.remove(m);
                }
            }

            // beyond the policy: stop, record the failure, send the movers back to the stable image
            int maxFailures = policyOf(spec).maxFailures();
            if (phase == Phase.ROLLING && failed.size() > maxFailures) {
                boolean deployFailed = failed.values().stream().anyMatch(v -> v.startsWith("deploy failed"));
                String reason = failed.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList()
                        .toString();
                failure = new Failure(targetRevision, targetKey, target, reason, in.now(), deployFailed);
                events.add("revision " + targetRevision + " failed its health gate on " + failed.size() + " node(s) "
                        + reason + "; " + (stable == null ? "held: no stable image to return to"
                                : "rolling back to " + name(stable) + " (revision " + stableRevision + ")"));
                Map<String, Instant> back = new TreeMap<>();
                for (String m : members) {
                    if (admitted.containsKey(m) || !onImage(m, stable)) {
                        back.put(m, in.now());
                    }
                }
                target = stable;
                targetRevision = stableRevision;
                targetKey = failure.key(); // a new commit of the same target stays held; a different one starts
                admitted = stable == null ? new TreeMap<>() : back;
                passed.clear();
                failed.clear();
                toProbe.clear();
                pausedUntil = null;
                phase = stable == null ? Phase.HELD : Phase.ROLLING_BACK;
            }

            // done: every member passed, or failed within the policy (a rollback's untouched members already run
            // the target)
            final DiskImage rolled = target;
            if ((phase == Phase.ROLLING || phase == Phase.ROLLING_BACK) && members.stream().allMatch(
                    m -> passed.contains(m) || phase == Phase.ROLLING && failed.containsKey(m)
                            || phase == Phase.ROLLING_BACK && !admitted.containsKey(m)
                            && onImage(m, rolled))) {
                if (phase == Phase.ROLLING) {
                    stable = target;
                    stableRevision = targetRevision;
                    events.add("rollout of " + name(target) + " (revision " + targetRevision + ") complete on "
                            + members.size() + " node(s)");
                } else {
                    events.add("rollback to " + name(target) + " complete");
                }
                phase = Phase.STABLE;
                pausedUntil = null;
            }
            if (phase == Phase.ROLLING && hadInFlight && admitted.keySet().stream().noneMatch(this::inFlight)
                    && policyOf(spec).pauseSeconds() > 0) {
                pausedUntil = in.now().plusSeconds(policyOf(spec).pauseSeconds());
            }

            // capacity, then admission of the next batch
            Map<String, DiskImage> images = new LinkedHashMap<>();
            for (String m : members) {
                images.put(m, admitted.containsKey(m) ? target : current(m, stable, target));
            }
            int count = spec.count();
            int maxUnavailable = policyOf(spec).maxUnavailableOf(count);
            int minAvailable = Math.max(0, count - maxUnavailable);
            int available = (int) members.stream().filter(m -> available(m, images.get(m))).count();
            List<String> pending = pending(members, images, target);
            if (phase == Phase.ROLLING || phase == Phase.ROLLING_BACK) {
                if (admitted.keySet().stream().anyMatch(this::inFlight)) {
                    waiting = "waiting for the health gate of batch " + batch;
                } else if (pausedUntil != null && in.now().isBefore(pausedUntil)) {
                    waiting = "paused until " + pausedUntil;
                } else if (!pending.isEmpty()) {
                    boolean canary = phase == Phase.ROLLING && passed.isEmpty();
                    int room = available - minAvailable;
                    List<String> now = new ArrayList<>();
                    for (String m : pending) {
                        boolean free = onImage(m, target) || !available(m, images.get(m));
                        if (canary && now.size() >= Math.max(1, maxUnavailable)) {
                            break;
                        }
                        if (free) {
                            now.add(m);
                        } else if (room > 0) {
                            now.add(m);
                            room--;
                        }
                    }
                    if (now.isEmpty()) {
                        waiting = "waiting for capacity: " + available + " of " + count
                                + " node(s) available, at least " + minAvailable + " must stay";
                    } else {
                        batch++;
                        for (String m : now) {
                            admitted.put(m, in.now());
                            images.put(m, target);
                        }
                        pausedUntil = null;
                        events.add("batch " + batch + " of " + name(target) + ": " + String.join(", ", now));
                        pending.removeAll(now);
                    }
                }
            }
            if (waiting == null && failure != null && key.equals(failure.key())) {
                waiting = "held: revision " + failure.revision() + " failed: " + failure.reason();
            }
            RolloutState next = new RolloutState(in.role(), phase, stableRevision, stable, targetRevision, target,
                    targetKey, members, admitted, passed, failed, pausedUntil, batch, failure);
            images.values().removeIf(java.util.Objects::isNull);
            return new Decision(next, images, events, allocation, batches(pending, maxUnavailable),
                    toProbe, waiting, available, minAvailable);
        }

        boolean inFlight(String m) {
            return admitted.containsKey(m) && !passed.contains(m) && !failed.containsKey(m);
        }

        /**
         * Settled on {@code image}. A node the lifecycle moved to it got there only through its OS checking in; an
         * adopted one (its image unverified after the state store was lost) counts as running it, as the lifecycle
         * treats it: failing it at the gate would re-image a running fleet for want of a record.
         */
        boolean onImage(String m, DiskImage image) {
            NodeRecord r = in.records().get(m);
            BareMetalNode n = nodes.get(m);
            return image != null && r != null && n != null && Settled.settled(r, image, n.spec().online());
        }

        boolean available(String m, DiskImage told) {
            return told != null && onImage(m, told) && (!admitted.containsKey(m) || passed.contains(m));
        }

        /** The image a member not admitted keeps: the one it runs or is being written with, if known; else stable. */
        DiskImage current(String m, DiskImage stable, DiskImage target) {
            NodeRecord r = in.records().get(m);
            if (r != null) {
                ImageRef running = r.state() == ProvisioningState.PROVISIONING && r.deploy().targetImage() != null
                        ? r.deploy().targetImage() : r.image();
                for (DiskImage known : new DiskImage[] {stable, target, in.image()}) {
                    if (known != null && running != null && ImageRef.of(known).equals(running)) {
                        return known;
                    }
                }
            }
            return stable;
        }

        /** Members still to admit, unavailable ones first (they cost no capacity), then by name; one side only. */
        List<String> pending(List<String> members, Map<String, DiskImage> images, DiskImage target) {
            String label = policyOf(spec).partitionLabel();
            List<String> out = new ArrayList<>(members.stream().filter(m -> !admitted.containsKey(m))
                    .filter(m -> !(phase == Phase.ROLLING_BACK && onImage(m, target))).toList());
            if (phase == Phase.ROLLING && label != null) {
                // one side at a time: the first side (by label value) with a member not yet passed
                String side = members.stream().filter(m -> !passed.contains(m)).map(this::sideOf).min(
                        Comparator.naturalOrder()).orElse(null);
                out.removeIf(m -> !sideOf(m).equals(side));
            }
            out.sort(Comparator.comparing((String m) -> available(m, images.get(m))).thenComparing(m -> m));
            return out;
        }

        String sideOf(String m) {
            BareMetalNode n = nodes.get(m);
            return n == null ? "" : n.metadata().labels().getOrDefault(policyOf(spec).partitionLabel(), "");
        }

        List<List<String>> batches(List<String> pending, int maxUnavailable) {
            List<List<String>> out = new ArrayList<>();
            int size = Math.max(1, maxUnavailable);
            for (int i = 0; i < pending.size(); i += size) {
                out.add(List.copyOf(pending.subList(i, Math.min(pending.size(), i + size))));
            }
            return out;
        }
    }

    static dev.plinth.api.RolloutPolicy policyOf(CloudRole role) {
        return role.rollout() == null ? dev.plinth.api.RolloutPolicy.DEFAULT : role.rollout();
    }

    static String name(DiskImage image) {
        return image == null ? "no image" : image.name();
    }
}
