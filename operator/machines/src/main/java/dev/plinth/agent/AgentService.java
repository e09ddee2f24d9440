package dev.plinth.agent;

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
import dev.plinth.store.DeployRegistryStore;
import io.vertx.ext.web.Router;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
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
 * The registry of deploys is kept in the {@link DeployRegistryStore}, written on every change,
 * so a restarted controller keeps observing its deploys and accepting their tokens until they are closed.
 *
 * <p>Every change an agent or an installed OS reports calls {@link NodeWaker#wake}; the engine's own calls do not.
 *
 * <p>This class is the engine's view (the drivers) and the wiring; the parts are {@link DeployRegistry} (the
 * persisted deploys), {@link IpxeScripts} (what nodes boot), {@link AgentRoutes} (HTTP) and {@link DeployReports}
 * (what the agent's reports do to a deploy).
 */
public final class AgentService implements BootDriver, DeployDriver, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentService.class);
    static final Pattern DEPLOY_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    static final String LOCAL_BOOT = IpxeScripts.LOCAL_BOOT;

    /**
     * @param advertisedBaseUrl how nodes reach the controller, e.g. {@code http://10.0.2.2:8080} (no trailing slash)
     * @param ramdiskKernel {@code vmlinuz} of the deploy ramdisk; null when not configured
     * @param ramdiskInitramfs {@code initramfs.cpio.gz} of the deploy ramdisk; null when not configured
     * @param extraKernelArgs appended to the ramdisk's command line, e.g. {@code console=ttyS0}; may be empty
     * @param waker told about every change an agent reports
     * @param images where the images are served from
     * @param store keeps the deploy registry
     * @param keyFile 32 random bytes the tokens are derived from; created (0600) when missing
     * @param bootWindow how long after the lifecycle opens a node's boot window ({@link #openDeployBootWindow}) its
     *     deploy script may be claimed; after that, or after the first claim, the MAC gets no credential
     * @param tls where the agent and the installed OS reach the agent and image routes over HTTPS, and the CA they
     *     trust; null: those routes are plain HTTP on {@code advertisedBaseUrl} (tests, or a trusted network)
     * @param mediaBaseUrl how BMCs reach the plain provisioning listener to fetch deploy ISOs (virtual media), when
     *     not as the machines do (a BMC on a management network); null: {@code advertisedBaseUrl}
     */
    public record Config(String advertisedBaseUrl, Path ramdiskKernel, Path ramdiskInitramfs, String extraKernelArgs,
            NodeWaker waker, ImageCache images, DeployRegistryStore store, Path keyFile, Duration bootWindow,
            Tls tls, String mediaBaseUrl) {
        /**
         * Default boot window: the lifecycle's default {@code bootTimeout} (5 min) plus time for the reboot's own
         * retries (up to 5, backing off to 60 s) before the machine even starts its firmware.
         */
        public static final Duration DEFAULT_BOOT_WINDOW = Duration.ofMinutes(10);

        public Config(String advertisedBaseUrl, Path ramdiskKernel, Path ramdiskInitramfs, String extraKernelArgs,
                NodeWaker waker, ImageCache images, DeployRegistryStore store, Path keyFile) {
            this(advertisedBaseUrl, ramdiskKernel, ramdiskInitramfs, extraKernelArgs, waker, images, store, keyFile,
                    DEFAULT_BOOT_WINDOW, null);
        }

        public Config(String advertisedBaseUrl, Path ramdiskKernel, Path ramdiskInitramfs, String extraKernelArgs,
                NodeWaker waker, ImageCache images, DeployRegistryStore store, Path keyFile, Duration bootWindow,
                Tls tls) {
            this(advertisedBaseUrl, ramdiskKernel, ramdiskInitramfs, extraKernelArgs, waker, images, store, keyFile,
                    bootWindow, tls, null);
        }

        public Config withTls(Tls t) {
            return new Config(advertisedBaseUrl, ramdiskKernel, ramdiskInitramfs, extraKernelArgs, waker, images,
                    store, keyFile, bootWindow, t, mediaBaseUrl);
        }

        /** With BMCs fetching deploy ISOs from {@code url} (null: the advertised URL). */
        public Config withMediaBaseUrl(String url) {
            return new Config(advertisedBaseUrl, ramdiskKernel, ramdiskInitramfs, extraKernelArgs, waker, images,
                    store, keyFile, bootWindow, tls, url);
        }

        /** Where token-bearing requests and image downloads go: the HTTPS endpoint when there is one. */
        public String agentBaseUrl() {
            return tls == null ? advertisedBaseUrl : tls.endpoint().baseUrl();
        }

        public Config {
            bootWindow = bootWindow == null ? DEFAULT_BOOT_WINDOW : bootWindow;
            if (bootWindow.isNegative() || bootWindow.isZero()) {
                throw new IllegalArgumentException("bootWindow must be positive, not " + bootWindow);
            }
            if (advertisedBaseUrl == null || !advertisedBaseUrl.matches("https?://[^\\s/]+(/[^\\s]*)?")) {
                throw new IllegalArgumentException("advertisedBaseUrl must be http(s)://HOST[:PORT], not "
                        + advertisedBaseUrl);
            }
            advertisedBaseUrl = advertisedBaseUrl.replaceAll("/+$", "");
            if (mediaBaseUrl != null && !mediaBaseUrl.matches("http://[^\\s/]+(/[^\\s]*)?")) {
                throw new IllegalArgumentException("the URL BMCs fetch deploy ISOs from must be http://HOST[:PORT]"
                        + " (the plain provisioning listener), not " + mediaBaseUrl);
            }
            mediaBaseUrl = mediaBaseUrl == null ? advertisedBaseUrl : mediaBaseUrl.replaceAll("/+$", "");
            extraKernelArgs = extraKernelArgs == null ? "" : extraKernelArgs.trim();
            waker = waker == null ? NodeWaker.NONE : waker;
        }
    }

    /**
     * HTTPS for the agent: its endpoint and the controller CA (PEM) the ramdisk and the installed OS trust.
     */
    public record Tls(AgentEndpoint endpoint, String caPem) {
        public Tls {
            if (endpoint == null || caPem == null || !caPem.contains("BEGIN CERTIFICATE")) {
                throw new IllegalArgumentException("TLS for the agent needs its endpoint and a PEM CA certificate");
            }
        }
    }

    private final Config config;
    private final DeployRegistry registry;
    private final IpxeScripts scripts;
    private final DeployMedia media;
    private final AgentRoutes routes;

    public AgentService(Config config) {
        this(config, Clock.systemUTC());
    }

    public AgentService(Config config, Clock clock) {
        this(config, clock, new XorrisoIsoBuilder());
    }

    /** @param isos builds the deploy ISOs of nodes that boot from virtual media */
    public AgentService(Config config, Clock clock, IsoBuilder isos) {
        this.config = config;
        AgentTokens tokens = AgentTokens.fromKeyFile(config.keyFile());
        this.registry = new DeployRegistry(config.store(), tokens, clock);
        this.scripts = new IpxeScripts(config, registry, clock);
        this.media = new DeployMedia(isos);
        this.routes = new AgentRoutes(config, registry, scripts, media, clock);
        if (config.ramdiskKernel() == null || config.ramdiskInitramfs() == null) {
            LOG.warn("no deploy ramdisk configured (kernel and initramfs): nodes cannot be deployed");
        } else {
            for (Path p : List.of(config.ramdiskKernel(), config.ramdiskInitramfs())) {
                if (!Files.isRegularFile(p)) {
                    LOG.warn("deploy ramdisk file {} does not exist (yet)", p);
                }
            }
        }
        long open = registry.openCount();
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
        if (registry.get(id) != null) {
            return; // known already: the engine repeats its calls
        }
        if (deploy.noImage()) {
            registry.register(id, node.name(), normalizeMac(node.bootMACAddress()), null, null, RootDeviceHints.NONE,
                    deploy.inspect());
            return;
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
        RootDeviceHints hints = deploy.rootDeviceHints() == null ? RootDeviceHints.NONE : deploy.rootDeviceHints();
        registry.register(id, node.name(), normalizeMac(node.bootMACAddress()), deploy.imageName(), served.get(),
                hints);
    }

    @Override
    public DeployProgress observe(NodeTarget node, String deployId) {
        synchronized (registry) {
            Deploy d = registry.get(deployId);
            return d == null ? DeployProgress.of(DeployPhase.UNKNOWN) : d.progress();
        }
    }

    @Override
    public java.util.Optional<String> provenImage(NodeTarget node) {
        return java.util.Optional.ofNullable(registry.provenImage(node.name()));
    }

    @Override
    public boolean checkedIn(NodeTarget node, String deployId) {
        synchronized (registry) {
            Deploy d = registry.get(deployId);
            return d != null && d.checkedIn;
        }
    }

    @Override
    public void finish(NodeTarget node, String deployId) {
        registry.close(deployId);
        media.retire(p -> p.deployId().equals(deployId));
    }

    /** The latest hardware inventory the node's deploy ramdisk reported (persisted with the registry). */
    public Optional<Inventory> inventory(String node) {
        return Optional.ofNullable(registry.inventory(node));
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
        if (registry.setBoot(node.name(), mac, deploy.deployId())) {
            LOG.info("node {} ({}) network-boots into the deploy ramdisk for deploy {}", node.name(), mac,
                    deploy.deployId());
        }
    }

    @Override
    public void prepareLocalBoot(NodeTarget node) {
        if (registry.setBoot(node.name(), normalizeMac(node.bootMACAddress()), null)) {
            LOG.info("node {} network-boots to its local disk", node.name());
        }
    }

    /**
     * Opens the node's boot window: a fresh boot serial (so fresh tokens; the previous boot's stop working) whose
     * deploy script goes to the first request for it within {@link Config#bootWindow}, and to no other.
     */
    @Override
    public void openDeployBootWindow(NodeTarget node) {
        media.retire(p -> p.node().equals(node.name())); // the previous boot's credential is void now
        if (registry.openWindow(node.name())) {
            LOG.info("node {}: boot window for the deploy ramdisk open for {}", node.name(), config.bootWindow());
        }
    }

    /**
     * The ISO of the boot whose window was just opened, published at {@code <media URL>/v1/media/<random>.iso}
     * on the plain provisioning listener for the node's BMC. It holds the boot's tokens (as the iPXE script does), so
     * publishing it is this boot's one hand-out: an iPXE request for the node's script in the same boot is refused.
     */
    @Override
    public String publishDeployMedia(NodeTarget node) throws DriverException {
        if (config.ramdiskKernel() == null || config.ramdiskInitramfs() == null) {
            throw new DriverException(FailureKind.DEPLOY_FAILED, "cannot build the deploy ISO of node " + node.name()
                    + ": the deploy ramdisk is not configured on the controller (ramdisk kernel and initramfs)");
        }
        String mac = normalizeMac(node.bootMACAddress());
        String deployId;
        int boot;
        DeployIso.Boot parameters;
        synchronized (registry) {
            Deploy d = registry.pendingDeployOf(mac);
            if (d == null || !d.node.equals(node.name()) || d.windowOpenedAt == null) {
                throw new DriverException(FailureKind.PROTOCOL, "node " + node.name()
                        + " has no deploy with an open boot window: nothing to put on a deploy ISO");
            }
            d.claimed = true;
            registry.persist();
            deployId = d.deployId;
            boot = d.boot;
            List<String> api = List.of((config.tls() == null ? "plinth.api=" + config.advertisedBaseUrl()
                    : config.tls().endpoint().kernelArgs()).split(" "));
            parameters = new DeployIso.Boot(api, d.deployId, registry.deployToken(d), d.node,
                    registry.checkinToken(d), mac, node.bmc() == null ? null : node.bmc().deployNetwork(),
                    config.tls() == null ? null : config.tls().caPem());
        }
        try {
            String name = media.publish(node.name(), deployId, boot, config.ramdiskKernel(),
                    config.ramdiskInitramfs(), config.extraKernelArgs(),
                    DeployIso.deployInitrd(parameters));
            return config.mediaBaseUrl() + "/v1/media/" + name;
        } catch (java.io.IOException e) {
            throw new DriverException(FailureKind.DEPLOY_FAILED, "node " + node.name() + ": " + e.getMessage());
        }
    }

    @Override
    public void cleanUp(NodeTarget node) {
        media.retire(p -> p.node().equals(node.name()));
        registry.forget(node.name());
    }

    // --- HTTP ---

    /**
     * Mounts the whole agent protocol on one router: {@link #mountBoot} and {@link #mountAgent} together, for a
     * controller without HTTPS.
     */
    public void mount(Router router) {
        routes.mountBoot(router);
        routes.mountAgent(router);
    }

    /**
     * What iPXE fetches, plain HTTP (it cannot do HTTPS): {@code GET /boot.ipxe}, {@code GET /v1/boot/{mac}.ipxe},
     * {@code GET /v1/ramdisk/vmlinuz|initramfs.cpio.gz}, and with TLS {@code GET /v1/ramdisk/ca.cpio}.
     */
    public void mountBoot(Router router) {
        routes.mountBoot(router);
    }

    /**
     * What carries tokens: {@code GET /v1/agent/deploys/{id}}, {@code POST /v1/agent/deploys/{id}/events},
     * {@code POST /v1/agent/checkin}; on the HTTPS listener when there is one. Mount the image cache beside it
     * ({@link ImageCache#mount}): instructions point at its {@code /images/} paths under {@link Config#agentBaseUrl}.
     */
    public void mountAgent(Router router) {
        routes.mountAgent(router);
    }

    /**
     * The image cache's {@link dev.plinth.image.ImageAccess}: a cached image goes only to the deploy agent of a
     * machine with an open deploy of that image, which proves it with its deploy token.
     */
    public boolean mayFetchImage(String file, String deployToken) {
        return registry.mayFetch(ImageCache.PREFIX + file, deployToken);
    }

    /** What a request for this MAC's iPXE script gets (and claims): tests use it as a network boot would. */
    String script(String mac) {
        return scripts.claim(mac, "test").script();
    }

    /** {@code aa:bb:cc:dd:ee:ff} in lower case, accepting '-' as separator; null when it is not a MAC. */
    static String normalizeMac(String mac) {
        return IpxeScripts.normalizeMac(mac);
    }

    /** Deploy ISOs published and not retired yet (tests). */
    int publishedMedia() {
        return media.count();
    }

    @Override
    public void close() {
        // the registry is persisted on every change; the router belongs to the caller; the ISOs go
        media.close();
    }

    @Override
    public String toString() {
        return "AgentService[" + config.advertisedBaseUrl() + "]";
    }
}
