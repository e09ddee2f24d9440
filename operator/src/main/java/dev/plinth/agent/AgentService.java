package dev.plinth.agent;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import dev.plinth.api.DiskImage;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.RootDeviceHints;
import dev.plinth.core.ImageAvailability;
import dev.plinth.driver.BootDriver;
import dev.plinth.driver.DeployDriver;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.DeployProgress;
import dev.plinth.driver.DeployRequest;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.NodeWaker;
import dev.plinth.image.ImageCache;
import dev.plinth.store.Json;
import dev.plinth.store.StateStore;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller side of the deploy agent protocol (docs/provisioning.md): iPXE scripts per MAC, the deploy
 * ramdisk's kernel and initramfs, deploy instructions, the agent's events and the installed OS's check-in.
 *
 * <p>Tokens are derived from a secret key file ({@link AgentTokens}), never stored, and appear only in the
 * per-MAC iPXE script of a pending deploy: never in logs, exceptions, status, the store or {@code toString}.
 * The registry of deploys is kept in the {@link StateStore} document {@value #DOCUMENT}, written on every change,
 * so a restarted controller keeps observing its deploys and accepting their tokens until they are closed.
 *
 * <p>Every change an agent or an installed OS reports calls {@link NodeWaker#wake}; the engine's own calls do not.
 */
public final class AgentService implements BootDriver, DeployDriver, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentService.class);
    public static final String DOCUMENT = "agent-deploys";
    static final Pattern DEPLOY_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    /** Closed deploys kept per node (observable after they finished), newest first. */
    private static final int KEEP_CLOSED_PER_NODE = 3;
    static final String LOCAL_BOOT = "#!ipxe\necho Plinth: local boot\nexit\n";

    /**
     * @param advertisedBaseUrl how nodes reach the controller, e.g. {@code http://10.0.2.2:8080} (no trailing slash)
     * @param ramdiskKernel {@code vmlinuz} of the deploy ramdisk; null when not configured
     * @param ramdiskInitramfs {@code initramfs.cpio.gz} of the deploy ramdisk; null when not configured
     * @param extraKernelArgs appended to the ramdisk's command line, e.g. {@code console=ttyS0}; may be empty
     * @param waker told about every change an agent reports
     * @param images where the images are served from
     * @param store keeps the deploy registry ({@value #DOCUMENT})
     * @param keyFile 32 random bytes the tokens are derived from; created (0600) when missing
     */
    public record Config(String advertisedBaseUrl, Path ramdiskKernel, Path ramdiskInitramfs, String extraKernelArgs,
            NodeWaker waker, ImageCache images, StateStore store, Path keyFile) {
        public Config {
            if (advertisedBaseUrl == null || !advertisedBaseUrl.matches("https?://[^\\s/]+(/[^\\s]*)?")) {
                throw new IllegalArgumentException("advertisedBaseUrl must be http(s)://HOST[:PORT], not "
                        + advertisedBaseUrl);
            }
            advertisedBaseUrl = advertisedBaseUrl.replaceAll("/+$", "");
            extraKernelArgs = extraKernelArgs == null ? "" : extraKernelArgs.trim();
            waker = waker == null ? NodeWaker.NONE : waker;
        }
    }

    /** One deploy, as persisted. Holds no token. */
    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
    static final class Deploy {
        String deployId;
        String node;
        String mac;
        String imageName;
        /** sha256 of the raw bytes the agent must write (the served image, after any qcow2 conversion). */
        String sha256;
        /** The image's URL path under advertisedBaseUrl. */
        String imagePath;
        String compression;
        long imageBytes;
        String deviceName;
        Integer minSizeGigabytes;
        String model;
        String vendor;
        String serialNumber;
        String wwn;
        Boolean rotational;
        DeployPhase phase = DeployPhase.WAITING;
        long bytesWritten;
        String message = "";
        boolean checkedIn;
        String checkinImage;
        boolean closed;
        Instant started;
        Instant updated;
        Instant writingAt;
        /** Durations of the ramdisk's phases, in ms: what makes a deploy slow, shown in node status. */
        Map<String, Long> phaseMillis = new LinkedHashMap<>();

        DeployProgress progress() {
            return new DeployProgress(phase, bytesWritten, imageBytes, message == null ? "" : message, phaseMillis);
        }
    }

    /** What a node gets when it network-boots: the deploy script of {@code deployId}, or local boot when null. */
    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
    static final class NodeBoot {
        String mac;
        String deployId;
    }

    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
    static final class Registry {
        Map<String, Deploy> deploys = new LinkedHashMap<>();
        Map<String, NodeBoot> boot = new LinkedHashMap<>();
    }

    private final Config config;
    private final AgentTokens tokens;
    private final Clock clock;
    private final Registry registry;
    /** Check-in token to deploy id, in memory only: the token is what identifies the deploy at check-in. */
    private final Map<String, String> byCheckinToken = new HashMap<>();

    public AgentService(Config config) {
        this(config, Clock.systemUTC());
    }

    public AgentService(Config config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.tokens = AgentTokens.fromKeyFile(config.keyFile());
        this.registry = config.store().getDocument(DOCUMENT).map(j -> Json.read(j, Registry.class))
                .orElseGet(Registry::new);
        if (config.ramdiskKernel() == null || config.ramdiskInitramfs() == null) {
            LOG.warn("no deploy ramdisk configured (kernel and initramfs): nodes cannot be deployed");
        } else {
            for (Path p : List.of(config.ramdiskKernel(), config.ramdiskInitramfs())) {
                if (!Files.isRegularFile(p)) {
                    LOG.warn("deploy ramdisk file {} does not exist (yet)", p);
                }
            }
        }
        registry.deploys.keySet().forEach(id -> byCheckinToken.put(tokens.checkinToken(id), id));
        long open = registry.deploys.values().stream().filter(d -> !d.closed).count();
        if (open > 0) {
            LOG.info("{} open deploys restored from the store", open);
        }
    }

    // --- DeployDriver ---

    @Override
    public void start(NodeTarget node, DeployRequest deploy) throws DriverException {
        String id = deploy.deployId();
        if (id == null || !DEPLOY_ID.matcher(id).matches()) {
            throw new DriverException(FailureKind.DEPLOY_FAILED, "deploy id '" + id
                    + "' is not usable in the agent protocol (letters, digits, '.', '_', '-')");
        }
        synchronized (this) {
            Deploy existing = registry.deploys.get(id);
            if (existing != null) {
                return;
            }
        }
        DiskImage image = new DiskImage(ObjectMeta.named(deploy.imageName()), deploy.image());
        Optional<ImageCache.Served> served = config.images().served(deploy.image());
        if (served.isEmpty()) {
            ImageAvailability a = config.images().availability(image);
            if (a.status() == ImageAvailability.Status.FAILED) {
                throw new DriverException(FailureKind.IMAGE_FAILED, "image " + deploy.imageName() + ": " + a.message());
            }
            throw new DriverException(FailureKind.PROTOCOL, "image " + deploy.imageName()
                    + " is not in the image cache yet: " + a.message());
        }
        ImageCache.Served s = served.get();
        RootDeviceHints hints = deploy.rootDeviceHints() == null ? RootDeviceHints.NONE : deploy.rootDeviceHints();
        synchronized (this) {
            if (registry.deploys.containsKey(id)) {
                return;
            }
            Instant now = clock.instant();
            for (Deploy other : registry.deploys.values()) {
                if (other.node.equals(node.name()) && !other.closed) {
                    other.closed = true;
                    other.message = appendMessage(other.message, "superseded by deploy " + id);
                    other.updated = now;
                    LOG.info("deploy {} of node {} superseded by deploy {}", other.deployId, other.node, id);
                }
            }
            Deploy d = new Deploy();
            d.deployId = id;
            d.node = node.name();
            d.mac = normalizeMac(node.bootMACAddress());
            d.imageName = deploy.imageName();
            d.sha256 = s.sha256();
            d.imagePath = s.path();
            d.compression = s.compression().yaml();
            d.imageBytes = s.rawLength();
            d.deviceName = hints.deviceName();
            d.minSizeGigabytes = hints.minSizeGigabytes();
            d.model = hints.model();
            d.vendor = hints.vendor();
            d.serialNumber = hints.serialNumber();
            d.wwn = hints.wwn();
            d.rotational = hints.rotational();
            d.started = now;
            d.updated = now;
            registry.deploys.put(id, d);
            byCheckinToken.put(tokens.checkinToken(id), id);
            prune(node.name());
            persist();
            LOG.info("deploy {} of image {} to node {} registered", id, d.imageName, d.node);
        }
    }

    @Override
    public synchronized DeployProgress observe(NodeTarget node, String deployId) {
        Deploy d = registry.deploys.get(deployId);
        return d == null ? DeployProgress.of(DeployPhase.UNKNOWN) : d.progress();
    }

    @Override
    public synchronized boolean checkedIn(NodeTarget node, String deployId) {
        Deploy d = registry.deploys.get(deployId);
        return d != null && d.checkedIn;
    }

    @Override
    public synchronized void finish(NodeTarget node, String deployId) {
        Deploy d = registry.deploys.get(deployId);
        if (d == null || d.closed) {
            return;
        }
        d.closed = true;
        d.updated = clock.instant();
        persist();
        LOG.info("deploy {} of node {} closed ({})", deployId, d.node, d.phase);
    }

    // --- BootDriver ---

    @Override
    public void prepareDeployBoot(NodeTarget node, DeployRequest deploy) throws DriverException {
        String mac = normalizeMac(node.bootMACAddress());
        if (mac == null) {
            throw new DriverException(FailureKind.DEPLOY_FAILED, "node " + node.name()
                    + " has no valid bootMACAddress: network boot into the deploy ramdisk needs it");
        }
        start(node, deploy);
        synchronized (this) {
            NodeBoot b = registry.boot.computeIfAbsent(node.name(), n -> new NodeBoot());
            if (mac.equals(b.mac) && deploy.deployId().equals(b.deployId)) {
                return;
            }
            b.mac = mac;
            b.deployId = deploy.deployId();
            persist();
        }
        LOG.info("node {} ({}) network-boots into the deploy ramdisk for deploy {}", node.name(), mac,
                deploy.deployId());
    }

    @Override
    public void prepareLocalBoot(NodeTarget node) {
        String mac = normalizeMac(node.bootMACAddress());
        synchronized (this) {
            NodeBoot b = registry.boot.computeIfAbsent(node.name(), n -> new NodeBoot());
            if (b.deployId == null && java.util.Objects.equals(mac, b.mac)) {
                return;
            }
            b.mac = mac;
            b.deployId = null;
            persist();
        }
        LOG.info("node {} network-boots to its local disk", node.name());
    }

    @Override
    public synchronized void cleanUp(NodeTarget node) {
        boolean changed = registry.boot.remove(node.name()) != null;
        changed |= registry.deploys.values().removeIf(d -> d.node.equals(node.name()));
        byCheckinToken.values().retainAll(registry.deploys.keySet());
        if (changed) {
            persist();
            LOG.info("node {} forgotten by network boot and the deploy agent service", node.name());
        }
    }

    // --- HTTP ---

    /**
     * Mounts the agent protocol on {@code router}: {@code GET /boot.ipxe}, {@code GET /v1/boot/{mac}.ipxe},
     * {@code GET /v1/ramdisk/vmlinuz|initramfs.cpio.gz}, {@code GET /v1/agent/deploys/{id}},
     * {@code POST /v1/agent/deploys/{id}/events}, {@code POST /v1/agent/checkin}. Mount the image cache too
     * ({@link ImageCache#mount}): instructions point at its {@code /images/} paths.
     */
    public void mount(Router router) {
        router.get("/boot.ipxe").handler(ctx -> text(ctx, 200,
                "#!ipxe\nchain " + config.advertisedBaseUrl() + "/v1/boot/${mac}.ipxe\n"));
        router.get("/v1/boot/:file").blockingHandler(this::bootScript);
        router.get("/v1/ramdisk/vmlinuz").handler(ctx -> ramdisk(ctx, config.ramdiskKernel()));
        router.get("/v1/ramdisk/initramfs.cpio.gz").handler(ctx -> ramdisk(ctx, config.ramdiskInitramfs()));
        router.get("/v1/agent/deploys/:id").blockingHandler(this::instructions);
        router.post("/v1/agent/*").handler(BodyHandler.create().setBodyLimit(64 * 1024));
        router.post("/v1/agent/deploys/:id/events").blockingHandler(this::event);
        router.post("/v1/agent/checkin").blockingHandler(this::checkin);
    }

    private void bootScript(RoutingContext ctx) {
        String file = ctx.pathParam("file");
        if (file == null || !file.endsWith(".ipxe")) {
            text(ctx, 404, "not found\n");
            return;
        }
        String mac = normalizeMac(percentDecode(file.substring(0, file.length() - ".ipxe".length())));
        String script = script(mac);
        ctx.response().putHeader("Cache-Control", "no-store");
        text(ctx, 200, script);
    }

    /** The iPXE script for this MAC: the deploy script of its node's pending deploy, else local boot. */
    synchronized String script(String mac) {
        if (mac == null) {
            return LOCAL_BOOT;
        }
        for (var e : registry.boot.entrySet()) {
            NodeBoot b = e.getValue();
            if (!mac.equals(b.mac) || b.deployId == null) {
                continue;
            }
            Deploy d = registry.deploys.get(b.deployId);
            if (d == null || d.closed || d.phase.terminal()) {
                return LOCAL_BOOT;
            }
            LOG.info("serving the deploy script of deploy {} to node {} ({})", d.deployId, d.node, mac);
            if (config.ramdiskKernel() == null || config.ramdiskInitramfs() == null) {
                return "#!ipxe\necho Plinth: cannot deploy " + d.node + ": the deploy ramdisk is not configured"
                        + " on the controller (ramdisk kernel and initramfs)\nsleep 60\nreboot\n";
            }
            String base = config.advertisedBaseUrl();
            String extra = config.extraKernelArgs().isEmpty() ? "" : " " + config.extraKernelArgs();
            return "#!ipxe\n"
                    + "echo Plinth: deploying " + d.imageName + " to " + d.node + " (deploy " + d.deployId + ")\n"
                    + "kernel " + base + "/v1/ramdisk/vmlinuz" + extra + " quiet plinth.api=" + base
                    + " plinth.deploy=" + d.deployId + " plinth.token=" + tokens.deployToken(d.deployId)
                    + " plinth.node=" + d.node + " plinth.checkin=" + tokens.checkinToken(d.deployId)
                    + " BOOTIF=01-${mac:hexhyp}\n"
                    + "initrd " + base + "/v1/ramdisk/initramfs.cpio.gz\n"
                    + "boot\n";
        }
        return LOCAL_BOOT;
    }

    private void ramdisk(RoutingContext ctx, Path file) {
        if (file == null) {
            text(ctx, 404, "the deploy ramdisk is not configured on the controller\n");
            return;
        }
        if (!Files.isRegularFile(file)) {
            LOG.warn("deploy ramdisk file {} is missing", file);
            text(ctx, 404, "the deploy ramdisk file is missing on the controller\n");
            return;
        }
        ctx.response().putHeader("Content-Type", "application/octet-stream").sendFile(file.toString());
    }

    /** The deploy named in the path, if the request carries its deploy token and it is open; else answered. */
    private Deploy authorizeDeploy(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        String presented = bearer(ctx);
        Deploy d = id == null ? null : registry.deploys.get(id);
        if (d == null || !AgentTokens.same(tokens.deployToken(id), presented)) {
            LOG.warn("rejected {} {} from {}: {}", ctx.request().method(), ctx.request().path(),
                    ctx.request().remoteAddress(), d == null ? "unknown deploy" : "bad deploy token");
            text(ctx, 401, "unauthorized\n");
            return null;
        }
        if (d.closed) {
            LOG.info("rejected {} {}: deploy {} is closed", ctx.request().method(), ctx.request().path(), id);
            text(ctx, 401, "deploy closed\n");
            return null;
        }
        if (d.phase.terminal()) {
            LOG.info("rejected {} {}: deploy {} already {}", ctx.request().method(), ctx.request().path(), id,
                    d.phase);
            text(ctx, 409, "deploy already " + d.phase.name().toLowerCase(Locale.ROOT) + "\n");
            return null;
        }
        return d;
    }

    private void instructions(RoutingContext ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        String node;
        synchronized (this) {
            Deploy d = authorizeDeploy(ctx);
            if (d == null) {
                return;
            }
            body.put("imageUrl", config.advertisedBaseUrl() + d.imagePath);
            body.put("sha256", d.sha256);
            body.put("compression", d.compression);
            Map<String, Object> hints = new LinkedHashMap<>();
            if (d.deviceName != null) {
                hints.put("deviceName", d.deviceName);
            }
            if (d.minSizeGigabytes != null) {
                hints.put("minSizeGigabytes", d.minSizeGigabytes);
            }
            // strings all: the ramdisk's JSON reading is grep/sed (AGENT-PROTOCOL.md)
            putIfSet(hints, "model", d.model);
            putIfSet(hints, "vendor", d.vendor);
            putIfSet(hints, "serialNumber", d.serialNumber);
            putIfSet(hints, "wwn", d.wwn);
            putIfSet(hints, "rotational", d.rotational == null ? null : d.rotational.toString());
            body.put("rootDeviceHints", hints);
            node = d.node;
            if (d.phase == DeployPhase.WAITING) {
                d.phase = DeployPhase.DOWNLOADING;
                d.message = appendMessage(d.message, "instructions fetched");
                d.updated = clock.instant();
                persist();
            } else {
                node = null;
            }
            LOG.info("deploy {} of node {}: instructions served", d.deployId, d.node);
        }
        wake(node);
        ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
                .end(Json.write(body));
    }

    private static void putIfSet(Map<String, Object> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    private void event(RoutingContext ctx) {
        Map<String, String> form = form(ctx);
        String phase = form.getOrDefault("phase", "");
        String node;
        int status = 200;
        String answer = "ok\n";
        synchronized (this) {
            Deploy d = authorizeDeploy(ctx);
            if (d == null) {
                return;
            }
            node = d.node;
            long bytes = parseLong(form.get("bytes"));
            switch (phase) {
                case "booted" -> {
                    if (d.started != null) {
                        d.phaseMillis.put("bootToAgent", Duration.between(d.started, clock.instant()).toMillis());
                    }
                    d.message = "ramdisk booted" + (form.containsKey("ip") ? " with address " + form.get("ip") : "")
                            + (form.containsKey("interface") ? " on " + form.get("interface") : "");
                }
                case "bench" -> d.message = "bench: " + bytes + " bytes in " + form.getOrDefault("centiseconds", "?")
                        + " cs";
                case "writing" -> {
                    if (d.writingAt == null) {
                        d.writingAt = clock.instant();
                    }
                    d.phase = DeployPhase.WRITING;
                    d.bytesWritten = Math.max(d.bytesWritten, bytes);
                    d.message = "writing" + (form.containsKey("disk") ? " to " + form.get("disk") : "");
                }
                case "written" -> {
                    String sha = form.getOrDefault("sha256", "").toLowerCase(Locale.ROOT);
                    d.bytesWritten = bytes;
                    if (!sha.equals(d.sha256)) {
                        d.phase = DeployPhase.FAILED;
                        d.message = "agent wrote " + (sha.isEmpty() ? "(no sha256)" : sha) + ", expected " + d.sha256;
                        status = 409;
                        answer = "sha256 mismatch\n";
                    } else if (d.imageBytes > 0 && bytes != d.imageBytes) {
                        d.phase = DeployPhase.FAILED;
                        d.message = "agent wrote " + bytes + " bytes, expected " + d.imageBytes;
                        status = 409;
                        answer = "length mismatch\n";
                    } else {
                        d.phase = DeployPhase.WRITTEN;
                        long write = parseLong(form.get("writeCentiseconds")) * 10;
                        if (write > 0) {
                            d.phaseMillis.put("downloadAndWrite", write);
                        }
                        if (d.writingAt != null) {
                            long all = Duration.between(d.writingAt, clock.instant()).toMillis();
                            d.phaseMillis.put("verify", Math.max(0, all - write));
                        }
                        d.message = "written and verified" + (form.containsKey("disk") ? " on " + form.get("disk") : "")
                                + (form.containsKey("writeCentiseconds")
                                        ? " in " + form.get("writeCentiseconds") + " cs" : "");
                    }
                }
                case "failed" -> {
                    d.phase = DeployPhase.FAILED;
                    d.message = "agent: " + form.getOrDefault("message", "(no message)");
                }
                default -> {
                    text(ctx, 400, "unknown phase\n");
                    return;
                }
            }
            d.updated = clock.instant();
            persist();
            if (d.phase == DeployPhase.FAILED) {
                LOG.warn("deploy {} of node {} failed: {}", d.deployId, d.node, d.message);
            } else {
                LOG.info("deploy {} of node {}: {} ({} bytes)", d.deployId, d.node, phase, d.bytesWritten);
            }
        }
        wake(node);
        text(ctx, status, answer);
    }

    private void checkin(RoutingContext ctx) {
        Map<String, String> form = form(ctx);
        String presented = bearer(ctx);
        String node;
        int status;
        String answer;
        synchronized (this) {
            // the map lookup finds the candidate; the constant-time comparison decides
            String id = presented == null ? null : byCheckinToken.get(presented);
            Deploy d = id == null ? null : registry.deploys.get(id);
            if (d != null && !AgentTokens.same(tokens.checkinToken(d.deployId), presented)) {
                d = null;
            }
            if (d == null) {
                LOG.warn("rejected POST {} from {}: bad check-in token", ctx.request().path(),
                        ctx.request().remoteAddress());
                text(ctx, 401, "unauthorized\n");
                return;
            }
            if (d.closed) {
                LOG.info("rejected check-in for deploy {}: closed", d.deployId);
                text(ctx, 401, "deploy closed\n");
                return;
            }
            if (d.phase != DeployPhase.WRITTEN) {
                LOG.info("rejected check-in for deploy {}: the deploy is {}, not written", d.deployId, d.phase);
                text(ctx, 409, "deploy not written\n");
                return;
            }
            node = d.node;
            String image = form.getOrDefault("image", "");
            String reportedNode = form.getOrDefault("node", d.node);
            d.checkinImage = image;
            d.updated = clock.instant();
            if (!image.equals(d.imageName)) {
                d.checkedIn = false;
                d.message = "node checked in running image '" + image + "', expected '" + d.imageName + "'";
                status = 409;
                answer = "wrong image\n";
                LOG.warn("deploy {} of node {}: {}", d.deployId, d.node, d.message);
            } else if (!reportedNode.isEmpty() && !reportedNode.equals(d.node)) {
                d.checkedIn = false;
                d.message = "check-in says node '" + reportedNode + "', expected '" + d.node + "'";
                status = 409;
                answer = "wrong node\n";
                LOG.warn("deploy {} of node {}: {}", d.deployId, d.node, d.message);
            } else {
                d.checkedIn = true;
                d.message = "checked in" + (form.containsKey("ip") ? " from " + form.get("ip") : "");
                status = 200;
                answer = "ok\n";
                LOG.info("deploy {}: node {} checked in running {}", d.deployId, d.node, image);
            }
            persist();
        }
        wake(node);
        text(ctx, status, answer);
    }

    // --- helpers ---

    private void wake(String node) {
        if (node == null) {
            return;
        }
        try {
            config.waker().wake(node);
        } catch (RuntimeException e) {
            LOG.warn("waking node {} failed: {}", node, e.toString());
        }
    }

    /** Caller holds the monitor. */
    private void persist() {
        config.store().putDocument(DOCUMENT, Json.write(registry));
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

    private static String appendMessage(String message, String more) {
        return message == null || message.isEmpty() ? more : message + "; " + more;
    }

    private static long parseLong(String s) {
        try {
            return s == null ? 0 : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String bearer(RoutingContext ctx) {
        String h = ctx.request().getHeader("Authorization");
        if (h == null || h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return h.substring(7).trim();
    }

    /** The request body as {@code application/x-www-form-urlencoded}, whatever the Content-Type says. */
    private static Map<String, String> form(RoutingContext ctx) {
        Map<String, String> form = new HashMap<>();
        String body = ctx.body() == null || ctx.body().buffer() == null ? "" : ctx.body().asString();
        for (String pair : body.trim().split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                form.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                form.put(k, v);
            }
        }
        return form;
    }

    private static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    /** {@code aa:bb:cc:dd:ee:ff} in lower case, accepting '-' as separator; null when it is not a MAC. */
    static String normalizeMac(String mac) {
        if (mac == null) {
            return null;
        }
        String m = mac.trim().toLowerCase(Locale.ROOT).replace('-', ':');
        return m.matches("([0-9a-f]{2}:){5}[0-9a-f]{2}") ? m : null;
    }

    private static void text(RoutingContext ctx, int status, String body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "text/plain; charset=utf-8").end(body);
    }

    @Override
    public void close() {
        // nothing to release: the registry is persisted on every change; the router belongs to the caller
    }

    @Override
    public String toString() {
        return "AgentService[" + config.advertisedBaseUrl() + "]";
    }
}
