package dev.plinth.agent;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import dev.plinth.api.RootDeviceHints;
import dev.plinth.image.ImageCache;
import dev.plinth.json.Json;
import dev.plinth.store.DeployRegistryStore;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deploys the controller knows and what each node gets when it network-boots, persisted in the
 * {@link DeployRegistryStore} on every change: a restarted controller keeps observing its
 * deploys and accepting their tokens until they are closed.
 *
 * <p>Its monitor guards the state: callers that read a {@link Deploy}, change it and {@link #persist()} hold
 * {@code synchronized (registry)} across all three, so a request sees no half-made change.
 */
final class DeployRegistry {
    /** Boots of one deploy a check-in after a lost registry is tried against (a deploy boots a few times at most). */
    static final int PROVABLE_BOOTS = 64;
    // the facade's name, so log lines keep the logger they had before the split
    private static final Logger LOG = LoggerFactory.getLogger(AgentService.class);
    /** Closed deploys kept per node (observable after they finished), newest first. */
    private static final int KEEP_CLOSED_PER_NODE = 3;

    /** What a node gets when it network-boots: the deploy script of {@code deployId}, or local boot when null. */
    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
    static final class NodeBoot {
        String mac;
        String deployId;
    }

    /** The persisted document. */
    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
    static final class Registry {
        Map<String, Deploy> deploys = new LinkedHashMap<>();
        Map<String, NodeBoot> boot = new LinkedHashMap<>();
        /** The latest inventory each node's ramdisk reported, kept after its deploys are pruned. */
        Map<String, Inventory> inventories = new LinkedHashMap<>();
    }

    private final DeployRegistryStore store;
    private final AgentTokens tokens;
    private final Clock clock;
    private final Registry registry;
    /** Check-in token to deploy id, in memory only: the token is what identifies the deploy at check-in. */
    private final Map<String, String> byCheckinToken = new HashMap<>();

    DeployRegistry(DeployRegistryStore store, AgentTokens tokens, Clock clock) {
        this.store = store;
        this.tokens = tokens;
        this.clock = clock;
        this.registry = store.loadDeployRegistry().map(j -> Json.read(j, Registry.class)).orElseGet(Registry::new);
        registry.deploys.values().forEach(d -> byCheckinToken.put(checkinToken(d), d.deployId));
    }

    synchronized long openCount() {
        return registry.deploys.values().stream().filter(d -> !d.closed).count();
    }

    /** The deploy, or null; change it only while holding this registry's monitor. */
    synchronized Deploy get(String deployId) {
        return deployId == null ? null : registry.deploys.get(deployId);
    }

    /**
     * Registers a new deploy of {@code node}, closing (superseding) the node's open ones; false when the id is
     * known already (the engine repeats its calls). {@code served} null: a wipe of every disk, no image.
     */
    synchronized boolean register(String deployId, String node, String mac, String imageName,
            ImageCache.Served served, RootDeviceHints hints) {
        return register(deployId, node, mac, imageName, served, hints, false);
    }

    /** The same; {@code inspect}: an inspection on demand ({@code served} null), which writes nothing. */
    synchronized boolean register(String deployId, String node, String mac, String imageName,
            ImageCache.Served served, RootDeviceHints hints, boolean inspect) {
        if (registry.deploys.containsKey(deployId)) {
            return false;
        }
        Instant now = clock.instant();
        for (Deploy other : registry.deploys.values()) {
            if (other.node.equals(node) && !other.closed) {
                other.closed = true;
                other.appendMessage("superseded by deploy " + deployId);
                other.updated = now;
                LOG.info("deploy {} of node {} superseded by deploy {}", other.deployId, other.node, deployId);
            }
        }
        Deploy d = new Deploy();
        d.deployId = deployId;
        d.node = node;
        d.mac = mac;
        d.imageName = imageName;
        d.inspect = inspect;
        d.wipe = served == null && !inspect;
        if (served != null) {
            d.sha256 = served.sha256();
            d.imagePath = served.path();
            d.compression = served.compression().yaml();
            d.imageBytes = served.rawLength();
        }
        d.deviceName = hints.deviceName();
        d.minSizeGigabytes = hints.minSizeGigabytes();
        d.model = hints.model();
        d.vendor = hints.vendor();
        d.serialNumber = hints.serialNumber();
        d.wwn = hints.wwn();
        d.rotational = hints.rotational();
        d.started = now;
        d.updated = now;
        registry.deploys.put(deployId, d);
        prune(node);
        persist();
        LOG.info("deploy {} ({}) of node {} registered", deployId,
                d.inspect ? "inspect the hardware" : d.wipe ? "wipe every disk" : "image " + d.imageName, d.node);
        return true;
    }

    /** Closes the deploy: its tokens are refused from now on, its progress stays observable. */
    synchronized void close(String deployId) {
        Deploy d = registry.deploys.get(deployId);
        if (d == null || d.closed) {
            return;
        }
        d.closed = true;
        d.updated = clock.instant();
        persist();
        LOG.info("deploy {} of node {} closed ({})", deployId, d.node, d.phase);
    }

    /** Lets {@code node} network-boot into deploy {@code deployId}, or locally when it is null; true if changed. */
    synchronized boolean setBoot(String node, String mac, String deployId) {
        NodeBoot b = registry.boot.computeIfAbsent(node, n -> new NodeBoot());
        if (Objects.equals(mac, b.mac) && Objects.equals(deployId, b.deployId)) {
            return false;
        }
        b.mac = mac;
        b.deployId = deployId;
        persist();
        return true;
    }

    /**
     * Opens a fresh boot window for the node's pending deploy: a new boot serial (new tokens, the previous boot's
     * retired), not claimed yet. False when the node has no pending deploy to boot into.
     */
    synchronized boolean openWindow(String node) {
        NodeBoot b = registry.boot.get(node);
        Deploy d = b == null || b.deployId == null ? null : registry.deploys.get(b.deployId);
        if (d == null || d.closed || d.phase.terminal()) {
            return false;
        }
        byCheckinToken.remove(checkinToken(d));
        d.boot++;
        d.windowOpenedAt = clock.instant();
        d.claimed = false;
        d.updated = d.windowOpenedAt;
        byCheckinToken.put(checkinToken(d), d.deployId);
        persist();
        return true;
    }

    /** The deploy token of the deploy's current boot; none is valid before its first window. */
    String deployToken(Deploy d) {
        return tokens.deployToken(d.deployId, d.boot);
    }

    /** The check-in token of the deploy's current boot (the one whose ramdisk writes the config block). */
    String checkinToken(Deploy d) {
        return tokens.checkinToken(d.deployId, d.boot);
    }

    /** Whether {@code presented} is the deploy token of the deploy's current boot, in constant time. */
    boolean isDeployToken(Deploy d, String presented) {
        return AgentTokens.same(deployToken(d), presented) & d.boot > 0;
    }

    /** Keeps the node's latest inventory; the caller persists. */
    synchronized void putInventory(String node, Inventory inventory) {
        registry.inventories.put(node, inventory);
    }

    /** The node's latest inventory, or null. */
    synchronized Inventory inventory(String node) {
        return registry.inventories.get(node);
    }

    /** Forgets the node: its boot choice, its inventory and all its deploys, closed or not. */
    synchronized void forget(String node) {
        boolean changed = registry.boot.remove(node) != null;
        changed |= registry.inventories.remove(node) != null;
        changed |= registry.deploys.values().removeIf(d -> d.node.equals(node));
        byCheckinToken.values().retainAll(registry.deploys.keySet());
        if (changed) {
            persist();
            LOG.info("node {} forgotten by network boot and the deploy agent service", node);
        }
    }

    /** The open, unfinished deploy the node with this MAC boots into; null when it boots locally. */
    synchronized Deploy pendingDeployOf(String mac) {
        if (mac == null) {
            return null;
        }
        for (NodeBoot b : registry.boot.values()) {
            if (!mac.equals(b.mac) || b.deployId == null) {
                continue;
            }
            Deploy d = registry.deploys.get(b.deployId);
            return d == null || d.closed || d.phase.terminal() ? null : d;
        }
        return null;
    }

    /**
     * Images proven by check-ins without a deploy on record, by node. In memory only: they matter to a controller
     * that lost its registry, and an OS checks in again at every boot.
     */
    private final Map<String, String> provenImages = new HashMap<>();

    /**
     * A check-in whose token is no open or kept deploy's (the registry was lost with the state store): it proves
     * {@code image} on {@code node} when the token is the check-in token of {@code deployId} (the id the OS read
     * from its config block, checked by HMAC with this controller's key) and that deploy id was made for
     * {@code node} ({@code <node>-<serial>-<time>}, see NodeLifecycle). With another key (the key file lost too)
     * nothing matches, and nothing is proven.
     *
     * @return whether the image is now proven for the node
     */
    synchronized boolean proveImage(String presented, String deployId, String node, String image) {
        if (presented == null || deployId == null || node == null || node.isEmpty() || image == null
                || image.isEmpty() || !dev.plinth.core.DeployIds.safeName(node).equals(nodeOfDeployId(deployId))
                || !isCheckinTokenOfSomeBoot(deployId, presented)) {
            return false;
        }
        provenImages.put(node, image);
        return true;
    }

    /**
     * Whether {@code presented} is the check-in token of {@code deployId} in one of its first {@link #PROVABLE_BOOTS}
     * boots: the boot serial was lost with the registry, and a deploy boots a handful of times at most. Every
     * candidate is compared, so the answer's timing tells nothing.
     */
    private boolean isCheckinTokenOfSomeBoot(String deployId, String presented) {
        boolean ok = false;
        for (int boot = 1; boot <= PROVABLE_BOOTS; boot++) {
            ok |= AgentTokens.same(tokens.checkinToken(deployId, boot), presented);
        }
        return ok;
    }

    /** The image last proven for the node by {@link #proveImage}, or null. */
    synchronized String provenImage(String node) {
        return provenImages.get(node);
    }

    /**
     * The node a deploy id was made for, as {@code DeployIds} escaped it: all but its last two dash-separated parts;
     * null when it has fewer.
     */
    static String nodeOfDeployId(String deployId) {
        int time = deployId.lastIndexOf('-');
        int serial = time <= 0 ? -1 : deployId.lastIndexOf('-', time - 1);
        return serial <= 0 ? null : deployId.substring(0, serial);
    }

    /** The deploy whose check-in token was presented, or null. */
    synchronized Deploy ofCheckinToken(String presented) {
        // the map lookup finds the candidate; the constant-time comparison decides
        String id = presented == null ? null : byCheckinToken.get(presented);
        Deploy d = id == null ? null : registry.deploys.get(id);
        return d != null && d.boot > 0 && AgentTokens.same(checkinToken(d), presented) ? d : null;
    }

    /**
     * Whether {@code presented} is the deploy token of an open deploy that writes the image served at
     * {@code imagePath}: only such a machine may download it.
     */
    synchronized boolean mayFetch(String imagePath, String presented) {
        if (presented == null) {
            return false;
        }
        boolean ok = false;
        for (Deploy d : registry.deploys.values()) {
            // every candidate is compared, in constant time, so the answer's timing tells nothing
            boolean candidate = !d.closed && !d.phase.terminal() && imagePath.equals(d.imagePath);
            ok |= candidate & isDeployToken(d, presented);
        }
        return ok;
    }

    /** Writes the whole document: called after every change, with the monitor held. */
    synchronized void persist() {
        store.saveDeployRegistry(Json.write(registry));
    }

    /** Keeps the newest closed deploys of a node only. Caller holds the monitor. */
    private void prune(String node) {
        List<Deploy> closed = new ArrayList<>();
        for (Deploy d : registry.deploys.values()) {
            if (d.node.equals(node) && d.closed) {
                closed.add(d);
            }
        }
        closed.sort(Comparator.comparing((Deploy d) -> d.started, Comparator.nullsFirst(Comparator.naturalOrder()))
                .reversed());
        for (int i = KEEP_CLOSED_PER_NODE; i < closed.size(); i++) {
            registry.deploys.remove(closed.get(i).deployId);
        }
        byCheckinToken.values().retainAll(registry.deploys.keySet());
    }
}
