package dev.plinth.kubernetes;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.Cloud;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.NodeInput;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.fleet.FleetPlanner;
import dev.plinth.core.fleet.RoleResolver;
import dev.plinth.core.fleet.Settled;
import dev.plinth.driver.BmcAddressRules;
import dev.plinth.driver.Drivers;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.BareMetalNodeStatus;
import dev.plinth.kubernetes.crd.CloudResource;
import dev.plinth.kubernetes.crd.DiskImageResource;
import dev.plinth.reconcile.ImageCatalog;
import dev.plinth.reconcile.NodeReconciler;
import dev.plinth.reconcile.Pass;
import dev.plinth.reconcile.RecordWriter;
import dev.plinth.store.NodeEvent;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BareMetalNode reconciler: one JOSDK reconcile is one pass of the shared {@link NodeReconciler}, with the
 * node's record kept in its status. JOSDK serialises reconciles per resource and its thread pool bounds how many
 * run at once; the pass says when to come back ({@link Pass.Next}), which becomes the reschedule delay.
 *
 * <p>Watched besides the nodes: DiskImages and Clouds of the namespace (a node may wait for its image), the
 * Secrets nodes name as credentials (a corrected password retries a failed node at once), and the drivers' wake-ups.
 */
public final class BareMetalNodeReconciler implements Reconciler<BareMetalNodeResource>, Cleaner<BareMetalNodeResource> {
    public static final String NAME = "baremetalnode";
    /** Present (any value but "false"): the operator leaves the node alone, status and machine alike. */
    public static final String PAUSED = "plinth.dev/paused";
    /** Set by a GitSource on what it applies: the revision, shown in status and `kubectl get bmn`. */
    public static final String REVISION = "plinth.dev/revision";
    /** Holds a deleted node until it is deprovisioned. */
    public static final String FINALIZER = "plinth.dev/deprovision";
    /**
     * {@code plinth.dev/inspect: requested}: read the node's BMC inventory again at its next idle pass; the operator
     * removes the annotation once it has (docs/provisioning.md, "Inspection on demand").
     */
    public static final String INSPECT = "plinth.dev/inspect";
    private static final Logger LOG = LoggerFactory.getLogger(BareMetalNodeReconciler.class);
    private static final String BY_CREDENTIALS = "byCredentials";
    private static final String BY_MAC = "byMac";
    private static final String BY_BMC = "byBmc";
    /** A node stalled as a duplicate looks again this soon: the other node's change does not wake it. */
    private static final Duration DUPLICATE_RECHECK = Duration.ofSeconds(10);
    /** A pass abandoned for a cache that is not serving is tried again this soon (if the operator goes on). */
    private static final Duration NOT_SERVING_RETRY = Duration.ofSeconds(1);

    private final NodeLifecycle lifecycle;
    private final Drivers drivers;
    private final BmcAddressRules addressRules;
    private final Clock clock;
    private final KubernetesClient client;
    private final NodeStatusWriter statusWriter;
    private final NodeEventRecorder events;
    private final int maxSteps;
    private final Duration maxWait;
    /** The last record written per node uid: the informer's copy of the status may lag our own writes. */
    private final Map<String, NodeRecord> written = new ConcurrentHashMap<>();
    /**
     * Nodes deprovisioned and forgotten whose finalizer JOSDK has not managed to remove yet (its patch conflicts
     * while the informer still holds the version before our last status write): a retried cleanup must not run the
     * pass again on that stale status. Entries expire after an hour.
     */
    private final Map<String, java.time.Instant> forgotten = new ConcurrentHashMap<>();
    private final SimpleInboundEventSource<BareMetalNodeResource> wakeUps = new SimpleInboundEventSource<>("wake-ups");
    private volatile InformerEventSource<DiskImageResource, BareMetalNodeResource> images;
    private volatile IndexerResourceCache<BareMetalNodeResource> nodeCache;
    // the FAKE driver's images are always ready; real machines' images go through the image cache
    private volatile ImageCatalog imageCatalog = ImageCatalog.ALWAYS_READY;
    private volatile java.util.function.Consumer<java.util.Collection<DiskImage>> imagesInForce = all -> { };
    private volatile InformerEventSource<CloudResource, BareMetalNodeResource> clouds;
    private volatile InformerEventSource<Secret, BareMetalNodeResource> secrets;
    // real machines: the hardware each node's deploy ramdisk reported (the agent service keeps it)
    private volatile java.util.function.Function<String, Optional<dev.plinth.agent.Inventory>> inventories =
            key -> Optional.empty();
    private volatile FleetPass fleet;

    public BareMetalNodeReconciler(KubernetesClient client, NodeLifecycle lifecycle, Drivers drivers,
            BmcAddressRules addressRules, Clock clock, int maxSteps, Duration maxWait) {
        this.lifecycle = lifecycle;
        this.drivers = drivers;
        this.addressRules = addressRules;
        this.clock = clock;
        this.client = client;
        this.statusWriter = new NodeStatusWriter(client);
        this.events = new NodeEventRecorder(client, "plinth-operator");
        this.maxSteps = maxSteps;
        this.maxWait = maxWait;
    }

    /**
     * Images through {@code catalog} (an image cache: a node waits while its image downloads), told before each pass
     * the DiskImages of every namespace ({@code inForce}: it fetches them and forgets the others). Before start.
     */
    public void useImages(ImageCatalog catalog, java.util.function.Consumer<java.util.Collection<DiskImage>> inForce) {
        this.imageCatalog = catalog;
        this.imagesInForce = inForce;
    }

    /** Status shows each node's hardware inventory as {@code inventories} has it by {@link NodeKey}. Before start. */
    public void useInventories(
            java.util.function.Function<String, Optional<dev.plinth.agent.Inventory>> inventories) {
        this.inventories = inventories;
    }

    /**
     * Role members take their image from {@code fleet}'s plan (rollouts in batches behind health gates), which reads
     * this reconciler's caches. Before start.
     */
    public void useFleet(FleetPass fleet) {
        this.fleet = fleet;
        fleet.attach(new FleetPass.View() {
            @Override
            public List<BareMetalNodeResource> nodes(String namespace) {
                return nodeCache.list(namespace).toList();
            }

            @Override
            public List<DiskImageResource> images(String namespace) {
                return images.list(namespace).toList();
            }

            @Override
            public List<CloudResource> clouds(String namespace) {
                return clouds.list(namespace).toList();
            }

            @Override
            public NodeRecord recordOf(BareMetalNodeResource node) {
                return BareMetalNodeReconciler.this.recordOf(node);
            }

            @Override
            public boolean synced() {
                return informerSynced(nodeCache) && informerSynced(images) && informerSynced(clouds);
            }
        }, this::wake);
    }

    /** Whether an informer holds the API server's objects yet (a plan made before would miss nodes). */
    private static boolean informerSynced(Object cache) {
        return cache instanceof io.javaoperatorsdk.operator.processing.event.source.informer.ManagedInformerEventSource<?, ?, ?> m
                && m.informerHealthIndicators().values().stream().allMatch(i -> i.hasSynced());
    }

    /** Reconciles every node at once (an image became ready or failed: its users, wherever they are, look again). */
    public void wakeAll() {
        var cache = nodeCache;
        if (cache != null) {
            cache.list().forEach(n -> wake(NodeKey.of(n)));
        }
    }

    /** For drivers' {@code NodeWaker}: reconcile the node with this {@link NodeKey} at once. */
    public void wake(String nodeKey) {
        try {
            wakeUps.propagateEvent(NodeKey.toResourceId(nodeKey));
        } catch (RuntimeException e) {
            LOG.debug("wake-up of {} dropped: {}", nodeKey, e.toString());
        }
    }

    @Override
    public List<EventSource<?, BareMetalNodeResource>> prepareEventSources(EventSourceContext<BareMetalNodeResource> ctx) {
        IndexerResourceCache<BareMetalNodeResource> nodes = ctx.getPrimaryCache();
        nodeCache = nodes;
        nodes.addIndexer(BY_CREDENTIALS, n -> n.getSpec() == null || n.getSpec().bmc == null ? List.of()
                : List.of(n.getMetadata().getNamespace() + "/" + n.getSpec().bmc.credentialsName));
        // one machine, one node: boot MAC and BMC are unique across namespaces, as they are in a Git revision
        nodes.addIndexer(BY_MAC, n -> n.getSpec() == null || n.getSpec().bootMACAddress == null ? List.of()
                : List.of(n.getSpec().bootMACAddress.toLowerCase(java.util.Locale.ROOT)));
        nodes.addIndexer(BY_BMC, n -> bmcKey(n).map(List::of).orElse(List.of()));
        images = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(DiskImageResource.class, BareMetalNodeResource.class)
                .withSecondaryToPrimaryMapper(i -> allIn(nodes, i.getMetadata().getNamespace()))
                .build(), ctx);
        clouds = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(CloudResource.class, BareMetalNodeResource.class)
                .withSecondaryToPrimaryMapper(c -> allIn(nodes, c.getMetadata().getNamespace()))
                .build(), ctx);
        secrets = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(Secret.class, BareMetalNodeResource.class)
                .withSecondaryToPrimaryMapper(s -> nodes.byIndex(BY_CREDENTIALS,
                                s.getMetadata().getNamespace() + "/" + s.getMetadata().getName()).stream()
                        .map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build(), ctx);
        return List.of(images, clouds, secrets, wakeUps);
    }

    private static Optional<String> bmcKey(BareMetalNodeResource n) {
        try {
            return n.getSpec() == null || n.getSpec().bmc == null || n.getSpec().bmc.address == null
                    ? Optional.empty() : Optional.of(dev.plinth.api.BmcAddress.parse(n.getSpec().bmc.address).key());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Another node (not being deleted) claiming the same machine, in words; null when there is none. */
    private static String duplicate(BareMetalNodeResource node, Context<BareMetalNodeResource> ctx) {
        String mac = node.getSpec().bootMACAddress.toLowerCase(java.util.Locale.ROOT);
        String other = others(node, ctx.getPrimaryCache().byIndex(BY_MAC, mac));
        if (other != null) {
            return "spec.bootMACAddress " + node.getSpec().bootMACAddress + " is also the boot MAC of BareMetalNode "
                    + other + ": one machine, one node; neither is acted on until one changes";
        }
        var key = bmcKey(node);
        other = key.isEmpty() ? null : others(node, ctx.getPrimaryCache().byIndex(BY_BMC, key.get()));
        return other == null ? null : "spec.bmc.address " + node.getSpec().bmc.address + " is also the BMC of"
                + " BareMetalNode " + other + ": one machine, one node; neither is acted on until one changes";
    }

    private static String others(BareMetalNodeResource node, List<BareMetalNodeResource> same) {
        return same.stream()
                .filter(o -> !o.getMetadata().getUid().equals(node.getMetadata().getUid()))
                .filter(o -> o.getMetadata().getDeletionTimestamp() == null)
                .map(NodeKey::of).sorted().findFirst().orElse(null);
    }

    private static Set<ResourceID> allIn(IndexerResourceCache<BareMetalNodeResource> nodes, String namespace) {
        return nodes.list(namespace).map(ResourceID::fromResource).collect(Collectors.toSet());
    }

    @Override
    public UpdateControl<BareMetalNodeResource> reconcile(BareMetalNodeResource node,
            Context<BareMetalNodeResource> ctx) {
        try {
            return pass(node, ctx);
        } catch (CacheNotServing e) {
            LOG.info("node {}: {}", NodeKey.of(node), e.getMessage());
            return UpdateControl.<BareMetalNodeResource>noUpdate().rescheduleAfter(NOT_SERVING_RETRY.toMillis());
        }
    }

    private UpdateControl<BareMetalNodeResource> pass(BareMetalNodeResource node,
            Context<BareMetalNodeResource> ctx) {
        if (paused(node)) {
            LOG.debug("node {} is paused", NodeKey.of(node));
            return UpdateControl.noUpdate();
        }
        String ns = node.getMetadata().getNamespace();
        long generation = Objects.requireNonNullElse(node.getMetadata().getGeneration(), 0L);
        NodeRecord rec = recordOf(node);
        BareMetalNode spec;
        try {
            spec = Translate.node(node);
        } catch (Translate.Invalid e) {
            return stalled(node, rec, "InvalidSpec", e.getMessage(), generation);
        }
        List<String> addressProblems = addressRules.schemes().contains(spec.spec().bmc().address().scheme())
                ? addressRules.problems(spec.spec().bmc().address())
                : List.of("unsupported BMC address scheme \"" + spec.spec().bmc().address().scheme()
                        + "\": no power driver of this operator serves it (supported: "
                        + String.join(", ", addressRules.forms()) + ")");
        if (!addressProblems.isEmpty()) {
            return stalled(node, rec, "InvalidSpec", "spec.bmc.address: " + String.join("; ", addressProblems),
                    generation);
        }
        String duplicate = duplicate(node, ctx);
        if (duplicate != null) {
            return stalled(node, rec, "Duplicate", duplicate, generation)
                    .rescheduleAfter(DUPLICATE_RECHECK.toMillis());
        }
        DesiredState desired = desiredFor(ns, spec);
        requireServing(images, "DiskImage");
        requireServing(clouds, "Cloud");
        if (spec.spec().image() != null && !desired.images().containsKey(spec.spec().image().name())) {
            return stalled(node, rec, "UnknownImage", "spec.image: no DiskImage \"" + spec.spec().image().name()
                    + "\" in namespace " + ns, generation);
        }
        RoleResolver.Placement placement = RoleResolver.place(desired, spec);
        if (spec.spec().image() == null && placement.role() != null && placement.image() == null) {
            return stalled(node, rec, "UnknownImage", "role " + placement.role() + " names image \""
                    + roleImage(desired, placement.role()) + "\": no DiskImage of that name in namespace " + ns,
                    generation);
        }
        imagesInForce.accept(images.list().map(Translate::image).toList());
        String role = placement.role() == null ? "" : placement.role().toString();
        boolean member = spec.spec().image() == null && placement.role() != null;
        boolean leaving = rec != null && rec.role() != null && !rec.role().isEmpty() && !rec.role().equals(role);
        FleetPass f = fleet;
        FleetPlanner.FleetPlan plan = null;
        if (f != null && (member || leaving)) {
            plan = f.planFor(node);
            if (plan == null) {
                LOG.debug("node {}: waiting for the caches to sync before the first fleet plan", NodeKey.of(node));
                return UpdateControl.<BareMetalNodeResource>noUpdate().rescheduleAfter(1000);
            }
            if (member && !plan.roles().containsKey(role)) {
                // told no image it would be wiped: it waits, as it is, until its role can be planned
                return stalled(node, rec, "RoleNotPlanned", "role " + role + " is not rolled out: the status of"
                        + " Cloud " + placement.role().cloud() + " says why", generation);
            }
        }
        Instant inspectAsked = inspectionAsked(node);
        NodeInput in = input(desired, NodeKey.of(node), member, plan).withInspectRequested(inspectAsked);
        if (inspectAsked != null && rec != null
                && NodeLifecycle.inspectBootRefusal(rec, in.image() != null) == null) {
            // an available node with nothing to run is booted into the ramdisk for it too (a busy or provisioned
            // one only has its BMC read: a running machine is not disturbed)
            in = in.withInspectBoot(inspectAsked);
        }

        Secret credentials = secret(ns, spec.spec().bmc().credentialsName());
        String credentialsVersion = credentials == null ? "" : credentials.getMetadata().getResourceVersion();
        String seenVersion = node.getStatus() == null ? null : node.getStatus().credentialsVersion;
        if (CredentialsRetry.retryNow(rec, credentials != null, seenVersion, credentialsVersion)) {
            LOG.info("node {}: credentials Secret changed or appeared, retrying at once", NodeKey.of(node));
            rec = rec.toBuilder().notBefore(null).build();
        }
        Writer writer = new Writer(node, in, generation, credentialsVersion);
        NodeReconciler pass = new NodeReconciler(lifecycle, drivers,
                new NamespaceSecrets(name -> secret(ns, name)), maxSteps, maxWait);
        Pass result = pass.reconcile(in, rec, clock, writer);
        if (!writer.wrote && statusStale(node, generation, credentialsVersion)) {
            writer.apply(result.record());
        }
        if (inspectAsked != null && result.record() != null && result.record().bmcInventory() != null
                && !result.record().bmcInventory().at().isBefore(inspectAsked)
                && !inspectBootPending(result.record(), in, inspectAsked)) {
            inspected(node);
        }
        return reschedule(UpdateControl.noUpdate(), result.next());
    }

    /**
     * The pass's input, through the same {@code NodeReconciler.inputFor} standalone's engine calls: a role member's
     * image from the fleet plan (its batch must admit a change); a node leaving a role gated by that role's
     * capacity in the plan; a pinned node or one in no role from its own spec (the plan would say the same).
     */
    private NodeInput input(DesiredState desired, String key, boolean member, FleetPlanner.FleetPlan plan) {
        if (plan == null) {
            return NodeReconciler.inputFor(desired, key, imageCatalog);
        }
        if (member) {
            return NodeReconciler.inputFor(desired, key, plan, imageCatalog);
        }
        NodeInput own = NodeReconciler.inputFor(desired, key, imageCatalog);
        return new NodeInput(own.name(), own.node(), own.image(), own.imageAvailability(), own.drift(), own.role(),
                plan.gateFor(key));
    }

    private static String roleImage(DesiredState desired, RoleResolver.RoleId id) {
        return desired.clouds().get(id.cloud()).spec().roles().stream().filter(r -> r.name().equals(id.role()))
                .map(r -> r.image() == null ? "" : r.image().name()).findFirst().orElse("");
    }

    @Override
    public DeleteControl cleanup(BareMetalNodeResource node, Context<BareMetalNodeResource> ctx) {
        try {
            return deprovision(node);
        } catch (CacheNotServing e) {
            LOG.info("node {}: {}", NodeKey.of(node), e.getMessage());
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(NOT_SERVING_RETRY.toMillis());
        }
    }

    private DeleteControl deprovision(BareMetalNodeResource node) {
        String uid = node.getMetadata().getUid();
        if (paused(node)) {
            return DeleteControl.noFinalizerRemoval(); // unpausing lets the deprovisioning go on
        }
        NodeRecord rec = recordOf(node);
        if (rec == null || forgotten.containsKey(uid)) {
            written.remove(uid);
            return releaseFinalizer(node);
        }
        String ns = node.getMetadata().getNamespace();
        long generation = Objects.requireNonNullElse(node.getMetadata().getGeneration(), 0L);
        Secret credentials = secret(ns, rec.bmc().credentialsName());
        String credentialsVersion = credentials == null ? "" : credentials.getMetadata().getResourceVersion();
        NodeInput removed = NodeInput.removed(NodeKey.of(node));
        Writer writer = new Writer(node, removed, generation, credentialsVersion);
        Pass result = new NodeReconciler(lifecycle, drivers, new NamespaceSecrets(name -> secret(ns, name)),
                maxSteps, maxWait).reconcile(removed, rec, clock, writer);
        if (result.next() instanceof Pass.Next.Forgotten) {
            java.time.Instant now = clock.instant();
            forgotten.values().removeIf(at -> at.isBefore(now.minus(Duration.ofHours(1))));
            forgotten.put(uid, now);
            written.remove(uid);
            return releaseFinalizer(node);
        }
        long delay = result.next() instanceof Pass.Next.After a ? Math.max(1, a.delay().toMillis()) : 1;
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(delay);
    }

    /**
     * Removes our finalizer from the node as the API server has it now. (JOSDK's own removal patches the informer's
     * copy, which lags the status we just wrote, and conflicts until the informer catches up.)
     */
    private DeleteControl releaseFinalizer(BareMetalNodeResource node) {
        try {
            client.resources(BareMetalNodeResource.class).inNamespace(node.getMetadata().getNamespace())
                    .withName(node.getMetadata().getName()).edit(n -> {
                        n.getMetadata().getFinalizers().remove(FINALIZER);
                        return n;
                    });
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
        return DeleteControl.noFinalizerRemoval();
    }

    /** When the node's inspect annotation was first seen (by uid); cleared once it is served and removed. */
    private final Map<String, Instant> inspectAnnotations = new ConcurrentHashMap<>();

    /** When the inspection the node's annotation asks for was first seen; null when it asks for none. */
    private Instant inspectionAsked(BareMetalNodeResource node) {
        Map<String, String> a = node.getMetadata().getAnnotations();
        String uid = node.getMetadata().getUid();
        if (a == null || !a.containsKey(INSPECT) || "false".equalsIgnoreCase(a.get(INSPECT))) {
            inspectAnnotations.remove(uid);
            return null;
        }
        return inspectAnnotations.computeIfAbsent(uid, k -> clock.instant());
    }

    /** An inspection boot the annotation asked for that has not begun yet: the annotation stays until it does. */
    private static boolean inspectBootPending(NodeRecord rec, NodeInput in, Instant asked) {
        Instant began = rec.operation().startedAt();
        return in.inspectBoot() != null && NodeLifecycle.inspectBootRefusal(rec, in.image() != null) == null
                && (began == null || began.isBefore(asked));
    }

    /** The inspection asked for is done (or begun): the annotation goes (a later one asks again). */
    private void inspected(BareMetalNodeResource node) {
        try {
            client.resources(BareMetalNodeResource.class).inNamespace(node.getMetadata().getNamespace())
                    .withName(node.getMetadata().getName()).edit(n -> {
                        if (n.getMetadata().getAnnotations() != null) {
                            n.getMetadata().getAnnotations().remove(INSPECT);
                        }
                        return n;
                    });
            inspectAnnotations.remove(node.getMetadata().getUid());
            LOG.info("node {}: inspected on demand (BMC inventory read again); annotation {} removed",
                    NodeKey.of(node), INSPECT);
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    /** Whether an update of a node calls for a reconcile: not when only its status (our own write) changed. */
    public static boolean worthReconciling(BareMetalNodeResource now, BareMetalNodeResource before) {
        var n = now.getMetadata();
        var b = before.getMetadata();
        return !Objects.equals(n.getGeneration(), b.getGeneration())
                || !Objects.equals(n.getLabels(), b.getLabels())
                || !Objects.equals(n.getAnnotations(), b.getAnnotations())
                || !Objects.equals(n.getFinalizers(), b.getFinalizers())
                || n.getDeletionTimestamp() != null;
    }

    private static boolean paused(BareMetalNodeResource node) {
        Map<String, String> a = node.getMetadata().getAnnotations();
        return a != null && a.containsKey(PAUSED) && !"false".equalsIgnoreCase(a.get(PAUSED));
    }

    private NodeRecord recordOf(BareMetalNodeResource node) {
        NodeRecord mine = written.get(node.getMetadata().getUid());
        return mine != null ? mine : NodeStatusWriter.recordOf(node.getStatus());
    }

    /** The Secret from the informer's cache; null when there is none, never when the cache cannot tell. */
    private Secret secret(String namespace, String name) {
        var source = secrets;
        Secret s = source == null ? null : source.get(new ResourceID(name, namespace)).orElse(null);
        if (s == null) {
            requireServing(source, "Secret");
        }
        return s;
    }

    /**
     * Confirms, after reading it, that a cache was serving: JOSDK marks a source stopped before it clears its cache,
     * so a read that saw the cleared cache is caught here. (JOSDK syncs every source before the first reconcile; a
     * stopping operator's passes in flight are what reads stopped ones.)
     */
    private static void requireServing(InformerEventSource<?, BareMetalNodeResource> source, String kind) {
        if (source == null || !source.isRunning()) {
            throw new CacheNotServing(kind);
        }
    }

    /** Whether the node controller's caches serve reads (for tests: false once the operator began to stop). */
    boolean cachesServing() {
        var s = secrets;
        var i = images;
        var c = clouds;
        return s != null && s.isRunning() && i != null && i.isRunning() && c != null && c.isRunning();
    }

    /** The desired state one node needs: itself, and the images and clouds of its namespace. */
    private DesiredState desiredFor(String namespace, BareMetalNode node) {
        Map<String, DiskImage> imagesByName = new LinkedHashMap<>();
        images.list(namespace).map(Translate::image).forEach(i -> imagesByName.put(i.name(), i));
        Map<String, Cloud> cloudsByName = new LinkedHashMap<>();
        clouds.list(namespace).map(Translate::cloud).forEach(c -> cloudsByName.put(c.name(), c));
        return new DesiredState("", imagesByName, Map.of(node.name(), node), cloudsByName);
    }

    private boolean statusStale(BareMetalNodeResource node, long generation, String credentialsVersion) {
        BareMetalNodeStatus s = node.getStatus();
        return s == null || s.observedGeneration == null || s.observedGeneration != generation
                || !Objects.equals(s.credentialsVersion, credentialsVersion)
                || !Objects.equals(s.revision, revisionOf(node))
                || !Objects.equals(s.inventory == null ? null : s.inventory.at,
                        inventories.apply(NodeKey.of(node)).map(i -> String.valueOf(i.at())).orElse(null));
    }

    /** {@code status} with the node's latest hardware inventory: the ramdisk's, and the BMC's from the record. */
    private BareMetalNodeStatus withInventory(BareMetalNodeResource node, NodeRecord rec,
            BareMetalNodeStatus status) {
        status.inventory = dev.plinth.kubernetes.crd.InventoryStatus.of(
                inventories.apply(NodeKey.of(node)).orElse(null), rec == null ? null : rec.bmcInventory());
        return status;
    }

    private static String revisionOf(BareMetalNodeResource node) {
        Map<String, String> a = node.getMetadata().getAnnotations();
        return a == null ? null : a.get(REVISION);
    }

    private UpdateControl<BareMetalNodeResource> stalled(BareMetalNodeResource node, NodeRecord rec, String reason,
            String problem, long generation) {
        BareMetalNodeStatus before = node.getStatus();
        boolean news = before == null || before.observedGeneration == null || before.observedGeneration != generation
                || before.conditions.stream().noneMatch(c -> problem.equals(c.message));
        BareMetalNodeStatus status = NodeStatusWriter.statusOf(rec,
                NodeConditions.carryTransitionTimes(NodeConditions.of(rec, false, reason, problem, generation),
                        before == null ? null : before.conditions, clock.instant()),
                generation, before == null ? null : before.credentialsVersion, revisionOf(node));
        if (news) {
            statusWriter.apply(node, withInventory(node, rec, status));
            events.record(node, "Warning", reason, problem, clock.instant());
        }
        // cross-object problems heal when the other object changes, which wakes the node; the delay is a backstop
        return UpdateControl.<BareMetalNodeResource>noUpdate().rescheduleAfter(maxWait.toMillis());
    }

    private static UpdateControl<BareMetalNodeResource> reschedule(UpdateControl<BareMetalNodeResource> c,
            Pass.Next next) {
        if (next instanceof Pass.Next.After a) {
            return c.rescheduleAfter(Math.max(1, a.delay().toMillis()));
        }
        if (next instanceof Pass.Next.Soon) {
            return c.rescheduleAfter(1);
        }
        return c;
    }

    /** The pass's {@link RecordWriter}: each record becomes the node's status, applied before the pass goes on. */
    private final class Writer implements RecordWriter {
        private final BareMetalNodeResource node;
        private final NodeInput in;
        private final long generation;
        private final String credentialsVersion;
        private List<dev.plinth.kubernetes.crd.Condition> previous;
        boolean wrote;

        Writer(BareMetalNodeResource node, NodeInput in, long generation, String credentialsVersion) {
            this.node = node;
            this.in = in;
            this.generation = generation;
            this.credentialsVersion = credentialsVersion;
            this.previous = node.getStatus() == null ? null : node.getStatus().conditions;
        }

        @Override
        public void write(NodeRecord before, NodeRecord after, NodeEvent event, Write kind) {
            apply(after);
            written.put(node.getMetadata().getUid(), after);
            events.record(node, event);
            FleetPass f = fleet;
            if (f != null) {
                f.signal(node.getMetadata().getNamespace()); // its role's rollout may go on (or roll back)
            }
        }

        @Override
        public void forget(NodeRecord last, NodeEvent event) {
            written.remove(node.getMetadata().getUid());
            events.record(node, event);
        }

        void apply(NodeRecord rec) {
            boolean settled = rec != null && in.isDesired() && Settled.settled(rec, in.image(), in.online());
            var conditions = NodeConditions.carryTransitionTimes(
                    NodeConditions.of(rec, settled, null, null, generation), previous, clock.instant());
            previous = conditions;
            statusWriter.apply(node, withInventory(node, rec, NodeStatusWriter.statusOf(rec, conditions, generation,
                    credentialsVersion, revisionOf(node))));
            wrote = true;
        }
    }

    /** For tests: whether the operator knows a record for this node (written by this instance). */
    Optional<NodeRecord> lastWritten(String uid) {
        return Optional.ofNullable(written.get(uid));
    }
}
