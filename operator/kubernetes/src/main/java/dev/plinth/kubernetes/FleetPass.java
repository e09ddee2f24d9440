package dev.plinth.kubernetes;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.fleet.FleetPlanner;
import dev.plinth.core.fleet.FleetPlanner.FleetPlan;
import dev.plinth.core.fleet.RoleResolver;
import dev.plinth.core.fleet.RolloutPlanner;
import dev.plinth.core.fleet.RolloutState;
import dev.plinth.driver.HealthProber;
import dev.plinth.json.Json;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.CloudResource;
import dev.plinth.kubernetes.crd.CloudStatus;
import dev.plinth.kubernetes.crd.DiskImageResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator mode's fleet pass, one namespace at a time: the same {@link FleetPlanner} standalone's engine runs, fed
 * from the namespace's BareMetalNodes (their status records), DiskImages and Clouds, the probe results and each
 * role's {@link RolloutState}. The states live in the Cloud's status ({@code status.roles[].rollout.state}, server-side
 * apply, field manager {@code plinth}), written before any node is told the plan: a restarted or newly elected
 * operator reads them back and goes on with the batch in progress, and a failed revision stays held.
 *
 * <p>Each Cloud reconcile runs the pass of its namespace (a node's change, a DiskImage's or Cloud's, and every second
 * while a role rolls); each role member's reconcile asks for the namespace's latest plan, which is made first if it
 * has not seen the node as it is. The nodes whose image or disruption gate changed are woken.
 *
 * <p>A Cloud's revision (the failed and stable revisions in its status) is its GitSource commit (annotation
 * {@code plinth.dev/revision}) when a GitSource applied it, else {@code generation-N} of the Cloud.
 */
public final class FleetPass implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FleetPass.class);
    static final String EVENT = "Rollout";
    private static final Duration ROLLING_TICK = Duration.ofSeconds(1);
    private static final Duration MIN_GAP = Duration.ofMillis(200);

    /** What the pass reads, from the node reconciler's informer caches. */
    public interface View {
        List<BareMetalNodeResource> nodes(String namespace);

        List<DiskImageResource> images(String namespace);

        List<CloudResource> clouds(String namespace);

        /** The node's latest record: the reconciler's own last write, else its status. */
        NodeRecord recordOf(BareMetalNodeResource node);

        /** Whether the caches hold the API server's objects: a plan made before would miss nodes. */
        boolean synced();
    }

    /**
     * A namespace's plan, with each node's fingerprint and the Clouds' and DiskImages' ({@code inputs}) as the plan
     * saw them.
     */
    record Planned(FleetPlan plan, Map<String, String> seen, String inputs, boolean rolling) {}

    private final KubernetesClient client;
    private final Clock clock;
    private final Function<String, String> probeName;
    private final NodeEventRecorder events;
    private volatile View view;
    private volatile Consumer<String> wake = key -> { };
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Map<String, Planned> plans = new ConcurrentHashMap<>();
    /** Rollout states by namespace, then role: loaded from the Clouds' status on a namespace's first pass. */
    private final Map<String, Map<String, RolloutState>> states = new ConcurrentHashMap<>();
    /** The status this operator last wrote per Cloud uid: the informer's copy may lag our own writes. */
    private final Map<String, String> writtenStatus = new ConcurrentHashMap<>();
    private final dev.plinth.reconcile.ProbeRunner probes;
    /** Namespaces whose pass is due: a node changed, or a probe answered. */
    private final Set<String> due = ConcurrentHashMap.newKeySet();
    private final Object signal = new Object();
    private volatile boolean running = true;
    private final Thread loop = new Thread(this::loop, "plinth-fleet");

    /**
     * @param probeName the name a probe's {@code {node}} stands for, from the node's key (namespace/name): the
     *     node's own name for real machines (its name in DNS), the key itself for the FAKE driver's machines
     */
    public FleetPass(KubernetesClient client, Clock clock, HealthProber prober, Function<String, String> probeName) {
        this.client = client;
        this.clock = clock;
        this.probes = new dev.plinth.reconcile.ProbeRunner(prober, clock);
        this.probeName = probeName;
        this.events = new NodeEventRecorder(client, "plinth-operator");
        loop.setDaemon(true);
    }

    void attach(View view, Consumer<String> wake) {
        this.view = view;
        this.wake = wake;
        loop.start();
    }

    /**
     * Something a namespace's plan depends on changed (a node's record, a probe's answer): plan it again soon. The
     * passes run on one thread, at most every 200 ms, and every second for a namespace with a role rolling (gate
     * timeouts and pauses depend on time), as standalone's engine does; only namespaces this operator planned
     * already (as leader: its Cloud or node reconciles did) are planned.
     */
    void signal(String namespace) {
        if (plans.containsKey(namespace)) {
            due.add(namespace);
            synchronized (signal) {
                signal.notifyAll();
            }
        }
    }

    private void loop() {
        long lastTick = 0;
        while (running) {
            try {
                synchronized (signal) {
                    if (due.isEmpty()) {
                        signal.wait(ROLLING_TICK.toMillis());
                    }
                }
                Thread.sleep(MIN_GAP.toMillis()); // node changes come in storms: one pass serves many
            } catch (InterruptedException e) {
                return;
            }
            Set<String> now = new HashSet<>(due);
            due.removeAll(now);
            if (System.nanoTime() - lastTick >= ROLLING_TICK.toNanos()) {
                lastTick = System.nanoTime();
                plans.forEach((ns, p) -> {
                    if (p.rolling()) {
                        now.add(ns);
                    }
                });
            }
            for (String ns : now) {
                try {
                    run(ns);
                } catch (RuntimeException e) {
                    LOG.warn("fleet pass of namespace {} failed: {}", ns, e.toString()); // the next signal retries
                    due.add(ns);
                }
            }
        }
    }

    /**
     * The plan of the node's namespace, made again first when it did not see the node as it is now (a new node,
     * new labels or spec) or the namespace's Clouds and DiskImages as they are: a node must not act on a plan that
     * did not count it, nor keep an image a Cloud no longer asks for because no Cloud reconcile came yet.
     */
    FleetPlan planFor(BareMetalNodeResource node) {
        String ns = node.getMetadata().getNamespace();
        Planned p = freshFor(node);
        if (p != null) {
            return p.plan();
        }
        View v = view;
        if (v == null || !v.synced()) {
            return null;
        }
        synchronized (locks.computeIfAbsent(ns, k -> new Object())) {
            // the workers that waited here for one pass are served by it: it counted every node cached then,
            // so a burst of new role members costs a pass per burst, not one per member
            p = freshFor(node);
            return (p != null ? p : runLocked(ns)).plan();
        }
    }

    /** The namespace's plan if it saw this node, and the Clouds and DiskImages, as they are now; else null. */
    private Planned freshFor(BareMetalNodeResource node) {
        String ns = node.getMetadata().getNamespace();
        Planned p = plans.get(ns);
        View v = view;
        return p != null && fingerprint(node).equals(p.seen().get(NodeKey.of(node)))
                && (v == null || inputs(v.clouds(ns), v.images(ns)).equals(p.inputs())) ? p : null;
    }

    /**
     * One pass over the namespace; returns its plan (whether a role rolls: the Cloud looks again in a second), or
     * null when the caches have not synced yet: a pass over half the nodes would drop members and their batch.
     */
    Planned run(String namespace) {
        View v = view;
        if (v == null || !v.synced()) {
            return null;
        }
        synchronized (locks.computeIfAbsent(namespace, k -> new Object())) {
            return runLocked(namespace);
        }
    }

    private Planned runLocked(String ns) {
        View v = Objects.requireNonNull(view, "fleet pass not attached");
        Map<String, DiskImage> images = new LinkedHashMap<>();
        v.images(ns).stream().map(Translate::image).forEach(i -> images.put(i.name(), i));
        Map<String, BareMetalNode> nodes = new LinkedHashMap<>();
        Map<String, String> seen = new HashMap<>();
        Map<String, NodeRecord> records = new HashMap<>();
        Set<String> ready = new HashSet<>();
        for (BareMetalNodeResource r : v.nodes(ns)) {
            String key = NodeKey.of(r);
            seen.put(key, fingerprint(r));
            NodeRecord rec = v.recordOf(r);
            if (rec != null) {
                records.put(key, rec);
            }
            if (r.getStatus() != null && r.getStatus().conditions.stream()
                    .anyMatch(c -> c.type.equals(NodeConditions.READY) && c.status.equals("True"))) {
                ready.add(key);
            }
            if (r.getMetadata().getDeletionTimestamp() != null) {
                continue; // leaving: its finalizer deprovisions it; its record still counts against capacity
            }
            try {
                BareMetalNode n = Translate.node(r);
                nodes.put(n.name(), n);
            } catch (Translate.Invalid e) {
                // stalled on its own; no member of any role
            }
        }
        List<CloudResource> cloudResources = v.clouds(ns);
        Map<String, Cloud> clouds = new LinkedHashMap<>();
        Map<String, String> revisions = new HashMap<>();
        Map<String, CloudStatuses.Unplanned> unplanned = new HashMap<>();
        for (CloudResource c : cloudResources) {
            Cloud cloud = Translate.cloud(c);
            revisions.put(cloud.name(), revisionOf(c));
            boolean plannable = true;
            Map<String, String> problems = Translate.problems(c);
            for (CloudRole role : cloud.spec().roles()) {
                String key = cloud.name() + "/" + role.name();
                if (problems.containsKey(role.name())) {
                    unplanned.put(key, new CloudStatuses.Unplanned("InvalidSpec", problems.get(role.name())));
                    plannable = false;
                } else if (role.image() == null || !images.containsKey(role.image().name())) {
                    unplanned.put(key, CloudStatuses.Unplanned.unknownImage(role.image() == null ? ""
                            : role.image().name()));
                    plannable = false;
                }
            }
            // a cloud with a role the planner cannot take is left out (its members would be told no image, and
            // wiped): they wait, told nothing new, and the Cloud says why
            if (plannable) {
                clouds.put(cloud.name(), cloud);
            }
        }
        Map<String, RolloutState> previous = states.computeIfAbsent(ns, k -> loadStates(cloudResources));
        DesiredState desired = new DesiredState("", images, nodes, clouds);
        FleetPlan plan = FleetPlanner.plan(desired, records, probes.results(), previous, clock.instant(),
                c -> revisions.get(c.name()));
        Map<String, RolloutState> next = new LinkedHashMap<>(plan.states());
        // a cloud left out (unknown image) keeps its roles' states for when it is planned again
        previous.forEach((role, s) -> {
            if (!clouds.containsKey(role.substring(0, role.indexOf('/')))
                    && cloudResources.stream().anyMatch(c -> role.startsWith(c.getMetadata().getName() + "/"))) {
                next.putIfAbsent(role, s);
            }
        });

        // persist before any node is told: a restart must find what the nodes were told
        RoleResolver.Resolution resolution = RoleResolver.resolve(new DesiredState("", images, nodes,
                cloudsWithAll(cloudResources)));
        for (CloudResource c : cloudResources) {
            Cloud cloud = Translate.cloud(c);
            long generation = Objects.requireNonNullElse(c.getMetadata().getGeneration(), 0L);
            CloudStatus status = CloudStatuses.of(cloud, generation, plan, resolution, unplanned, ready::contains);
            // roles left out keep their stored rollout in status
            if (!clouds.containsKey(cloud.name()) && c.getStatus() != null) {
                for (CloudStatus.RoleStatus r : status.roles) {
                    c.getStatus().roles.stream().filter(o -> Objects.equals(o.name, r.name)).findFirst()
                            .ifPresent(o -> r.rollout = o.rollout);
                }
            }
            writeIfChanged(c, status);
        }
        states.put(ns, next);
        Planned previousPlan = plans.get(ns);
        boolean rolling = next.values().stream().anyMatch(s -> s.phase() == RolloutState.Phase.ROLLING
                || s.phase() == RolloutState.Phase.ROLLING_BACK);
        Planned planned = new Planned(plan, seen, inputs(cloudResources, v.images(ns)), rolling);
        plans.put(ns, planned);

        for (Map.Entry<String, RolloutPlanner.Decision> e : plan.roles().entrySet()) {
            CloudResource cloud = cloudResources.stream()
                    .filter(c -> e.getKey().startsWith(c.getMetadata().getName() + "/")).findFirst().orElse(null);
            for (String event : e.getValue().events()) {
                String message = "role " + e.getKey().substring(e.getKey().indexOf('/') + 1) + ": " + event;
                LOG.info("cloud {}/{}", ns, message);
                if (cloud != null) {
                    events.record(cloud, event.contains("failed") ? "Warning" : "Normal", EVENT, message,
                            clock.instant());
                }
            }
            probes.probe(e.getValue().toProbe(), dev.plinth.reconcile.ProbeRunner.healthCheckOf(e.getKey(),
                    clouds.values()), probeName::apply, () -> signal(ns));
        }
        FleetPlan before = previousPlan == null ? FleetPlan.empty() : previousPlan.plan();
        for (String node : nodes.keySet()) {
            if (!Objects.equals(before.images().get(node), plan.images().get(node))
                    || !Objects.equals(before.gateFor(node), plan.gateFor(node))) {
                wake.accept(node); // told another image, or its move or heal let go or held
            }
        }
        return planned;
    }

    private static Map<String, Cloud> cloudsWithAll(List<CloudResource> resources) {
        Map<String, Cloud> all = new LinkedHashMap<>();
        resources.stream().map(Translate::cloud).forEach(c -> all.put(c.name(), c));
        return all;
    }

    private Map<String, RolloutState> loadStates(List<CloudResource> clouds) {
        Map<String, RolloutState> out = new HashMap<>();
        for (CloudResource c : clouds) {
            if (c.getStatus() == null) {
                continue;
            }
            for (CloudStatus.RoleStatus r : c.getStatus().roles) {
                try {
                    RolloutState s = CloudStatuses.stateOf(r);
                    if (s != null) {
                        out.put(s.role(), s);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("cloud {}/{}: role {}: rollout state not readable, starting afresh: {}",
                            c.getMetadata().getNamespace(), c.getMetadata().getName(), r.name, e.getMessage());
                }
            }
        }
        return out;
    }

    private void writeIfChanged(CloudResource cloud, CloudStatus status) {
        String uid = cloud.getMetadata().getUid();
        String last = writtenStatus.get(uid);
        CloudStatus before = last != null ? Json.read(last, CloudStatus.class) : cloud.getStatus();
        status.conditions = NodeConditions.carryTransitionTimes(status.conditions,
                before == null ? null : before.conditions, clock.instant());
        String json = Json.write(status);
        if (before != null && json.equals(Json.write(before))) {
            return;
        }
        CloudResource patch = new CloudResource();
        patch.setMetadata(new ObjectMetaBuilder().withName(cloud.getMetadata().getName())
                .withNamespace(cloud.getMetadata().getNamespace()).build());
        patch.setSpec(null);
        patch.setStatus(status);
        client.resource(patch).subresource("status").patch(new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY).withFieldManager(NodeStatusWriter.FIELD_MANAGER)
                .withForce(true).build(), patch);
        writtenStatus.put(uid, json);
    }

    /** The Cloud's revision: the GitSource commit that applied it, else its generation. */
    static String revisionOf(CloudResource cloud) {
        Map<String, String> a = cloud.getMetadata().getAnnotations();
        String commit = a == null ? null : a.get(BareMetalNodeReconciler.REVISION);
        return commit != null ? commit : "generation-" + Objects.requireNonNullElse(cloud.getMetadata().getGeneration(),
                0L);
    }

    /** What of the Clouds and DiskImages the plan depends on: their specs. */
    static String inputs(List<CloudResource> clouds, List<DiskImageResource> images) {
        StringBuilder b = new StringBuilder();
        clouds.stream().map(c -> c.getMetadata().getName() + "@" + c.getMetadata().getGeneration() + " "
                + revisionOf(c)).sorted().forEach(x -> b.append(x).append(';'));
        images.stream().map(i -> i.getMetadata().getName() + "@" + i.getMetadata().getGeneration()).sorted()
                .forEach(x -> b.append(x).append(';'));
        return b.toString();
    }

    /** What of a node the plan depends on: its spec (generation) and labels (roles select by them). */
    static String fingerprint(BareMetalNodeResource node) {
        var m = node.getMetadata();
        return m.getGeneration() + " " + new TreeMap<>(m.getLabels() == null ? Map.of() : m.getLabels())
                + (m.getDeletionTimestamp() == null ? "" : " deleting");
    }

    @Override
    public void close() {
        running = false;
        loop.interrupt();
        probes.close();
    }
}
