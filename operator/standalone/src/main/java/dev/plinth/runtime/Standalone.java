package dev.plinth.runtime;

import dev.plinth.runtime.status.StatusService;

import dev.plinth.agent.AgentService;
import dev.plinth.agent.Inventory;
import dev.plinth.api.DesiredState;
import dev.plinth.driver.BmcSupport;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.NodeWaker;
import dev.plinth.driver.bmc.BmcPowerDrivers;
import dev.plinth.driver.fake.FakeAddressRules;
import dev.plinth.driver.ipmi.IpmiPowerDriver;
import dev.plinth.driver.redfish.RedfishClientConfig;
import dev.plinth.driver.redfish.RedfishPowerDriver;
import dev.plinth.driver.redfish.Tls;
import dev.plinth.image.ImageCache;
import dev.plinth.tls.ProvisioningTls;
import dev.plinth.tls.ServerCertificate;
import dev.plinth.load.DesiredStateLoader;
import io.vertx.ext.web.Router;
import java.util.function.Consumer;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeHealthProber;
import dev.plinth.driver.HealthProber;
import dev.plinth.driver.probe.SocketHealthProber;
import dev.plinth.engine.EngineConfig;
import dev.plinth.reconcile.ImageCatalog;
import dev.plinth.engine.NodeController;
import dev.plinth.engine.NodeListener;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.revision.RevisionTracker;
import dev.plinth.runtime.http.ApiToken;
import dev.plinth.runtime.http.HttpApi;
import dev.plinth.http.server.Listener;
import dev.plinth.http.WebhookVerifier;
import dev.plinth.secrets.file.LocalSecretsFile;
import dev.plinth.source.GitSource;
import dev.plinth.source.GitSourceConfig;
import dev.plinth.source.RevisionWatcher;
import dev.plinth.source.Snapshot;
import dev.plinth.source.SourceException;
import dev.plinth.store.sqlite.SqliteStateStore;
import dev.plinth.store.StateStore;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Standalone mode, wired: Git in, SQLite for actual state, drivers (IPMI + iPXE + deploy agent + image cache, or the
 * FAKE driver), the node controller and the HTTP API. A thin shell; every decision is made in {@code core}.
 */
public final class Standalone implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Standalone.class);

    /** Closed first to last: the reverse of the order they were created in, so the store closes last. */
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final NodeController controller;
    private final RevisionTracker revisions;
    private final StatusService status;
    private final FakeDriver fake;
    private final HttpApi http;
    /** The machine-facing routes; null with the fake driver, which has none. */
    private Listener provisioning;
    private final ImageCatalog images;
    private final List<Consumer<Router>> mounts = new ArrayList<>();
    /** Routes of the provisioning HTTPS listener: empty without TLS. */
    private final List<Consumer<Router>> secureMounts = new ArrayList<>();
    private ServerCertificate provisioningCertificate;
    private ImageCache imageCache;

    /**
     * The BMC address rules of the power drivers a {@code --driver} wires, for the loader: {@code ipmi} (real
     * machines) drives {@code ipmi://} and {@code redfish+http(s)://}; the fake simulates both by the same rules.
     */
    public static BmcSupport bmcSupport(String driver) {
        return switch (driver) {
            case "ipmi" -> new BmcSupport(BmcPowerDrivers.rules());
            case "fake" -> new BmcSupport(List.of(new FakeAddressRules()));
            default -> throw new IllegalArgumentException("unknown driver \"" + driver + "\": expected ipmi or fake");
        };
    }

    private static javax.net.ssl.SSLContext bmcTrust(java.nio.file.Path pem) {
        try {
            return Tls.trusting(pem);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--bmc-ca-file: " + e.getMessage(), e);
        }
    }

    public Standalone(StandaloneOptions o, NodeListener listener) {
        Clock clock = Clock.systemUTC();
        // before anything opens: a token file that cannot be read, or an API off loopback without one
        ApiToken token = o.http().apiTokenFile() == null ? null : ApiToken.fromFile(o.http().apiTokenFile());
        HttpApi.check(o.http().api(), token);
        try {
            // before anything else: one controller per state directory, and a secrets file others cannot read
            closeables.add(0, StateDirectory.take(o.stateDir()));
            LocalSecretsFile secrets = new LocalSecretsFile(o.secretsFile());
            StateStore store = new SqliteStateStore(o.stateDir().resolve("plinth.db"), o.durable());
            closeables.add(0, store);
            Metrics metrics = new Metrics();
            NodeController[] self = new NodeController[1];
            NodeWaker waker = name -> self[0].wake(name);
            NodeListener listeners = (before, after) -> {
                metrics.changed(before, after);
                listener.changed(before, after);
            };
            Drivers drivers;
            // the hardware the deploy agent reported, for node status (the FAKE driver's simulated ramdisk's)
            Function<String, Optional<Inventory>> inventories = name -> Optional.empty();
            switch (o.driver()) {
                case "fake" -> {
                    LOG.warn("FAKE driver: machines are simulated in this process; no BMC or network is touched");
                    fake = new FakeDriver(o.fake(), o.fakePersistent() ? o.stateDir().resolve("fake") : null, waker,
                            clock);
                    closeables.add(0, fake);
                    drivers = new Drivers(fake, fake, fake);
                    inventories = fake::inventory;
                    images = ImageCatalog.ALWAYS_READY;
                }
                case "ipmi" -> {
                    fake = null;
                    if (o.metal() == null) {
                        throw new IllegalArgumentException("driver ipmi needs the advertised URL and the ramdisk");
                    }
                    ImageCache cache = new ImageCache(o.stateDir().resolve("images"))
                            .allowFilesFrom(o.metal().imageRoots(), o.stateDir());
                    closeables.add(0, cache);
                    AgentService.Config agentConfig = new AgentService.Config(o.metal().advertisedUrl(),
                            o.metal().ramdiskKernel(), o.metal().ramdiskInitrd(), o.metal().kernelArgs(), waker, cache,
                            store, o.stateDir().resolve("agent.key")).withMediaBaseUrl(o.metal().mediaUrl());
                    if (o.http().provisioningTls() != null) {
                        ProvisioningTls t = ProvisioningTls.create(o.metal().advertisedUrl(),
                                o.http().provisioningTls().port(), o.stateDir().resolve("tls"), clock);
                        agentConfig = agentConfig.withTls(t.agent());
                        provisioningCertificate = t.certificate();
                    }
                    AgentService agent = new AgentService(agentConfig);
                    closeables.add(0, agent);
                    IpmiPowerDriver ipmi = new IpmiPowerDriver();
                    closeables.add(0, ipmi);
                    RedfishPowerDriver redfish = new RedfishPowerDriver(RedfishClientConfig.defaults(),
                            o.metal().bmcCaFile() == null ? Tls.jdkDefault() : bmcTrust(o.metal().bmcCaFile()));
                    closeables.add(0, redfish);
                    drivers = new Drivers(BmcPowerDrivers.bySchemes(ipmi, redfish), agent, agent);
                    images = cache;
                    inventories = agent::inventory;
                    mounts.add(agent::mountBoot);
                    // with HTTPS, what carries a token or an image is only on the TLS listener
                    List<Consumer<Router>> tokenRoutes = provisioningCertificate == null ? mounts : secureMounts;
                    tokenRoutes.add(router -> cache.mount(router, agent::mayFetchImage));
                    tokenRoutes.add(agent::mountAgent);
                    imageCache = cache;
                }
                default -> throw new IllegalArgumentException("unknown driver \"" + o.driver()
                        + "\": expected ipmi or fake");
            }
            // the roles' health probes: real sockets, except that a FAKE machine answers for itself
            HealthProber probes = new SocketHealthProber(Duration.ofSeconds(2));
            if (fake != null) {
                probes = new FakeHealthProber(fake, probes);
            }
            controller = new NodeController(new NodeLifecycle(o.lifecycle()), drivers,
                    secrets, images, store, clock,
                    new EngineConfig(o.workers(), 32, Duration.ofMinutes(5), o.healLimit()), listeners, probes);
            self[0] = controller;
            closeables.add(0, controller);
            if (imageCache != null) {
                imageCache.setListener(controller::wakeUsersOf);
            }
            metrics.watch(() -> controller);
            revisions = new RevisionTracker(store, new DesiredStateLoader(bmcSupport(o.driver())), this::putInForce,
                    clock, o.removalGuard());

            GitSource source = new GitSource(GitSourceConfig.of(o.repoUrl(), o.stateDir().resolve("git"))
                    .withBranch(o.branch()).withPath(o.path()).withPollInterval(o.pollInterval()));
            closeables.add(0, source);
            RevisionWatcher watcher = new RevisionWatcher(source, o.pollInterval(), new RevisionWatcher.Listener() {
                @Override
                public void onSnapshot(Snapshot s) {
                    boolean ok = revisions.offer(s.commitId(), s.message(), s.files()).isOk();
                    metrics.revision(!ok ? "rejected" : revisions.isHeld(s.commitId()) ? "held" : "applied");
                }

                @Override
                public void onFetchError(SourceException e) {
                    LOG.warn("fetch from {} failed: {}", source.config().redactedUrl(), e.getMessage());
                }
            }, clock);
            closeables.add(0, watcher);
            status = new StatusService(controller, revisions, store, images, watcher, inventories);
            Vertx vertx = Vertx.vertx();
            closeables.add(0, () -> vertx.close().toCompletionStage().toCompletableFuture().get());
            http = new HttpApi(vertx, o.http().api(), o.http().limits(), token, status, metrics.registry(),
                    () -> revisions.inForce().isPresent(), new WebhookVerifier(o.webhookSecret()), watcher::triggerNow,
                    revisions::approve);
            closeables.add(0, http);
            if (!mounts.isEmpty()) {
                Router machines = Router.router(vertx);
                mounts.forEach(m -> m.accept(machines));
                provisioning = Listener.start(vertx, "provisioning", o.http().provisioning().host(),
                        o.http().provisioning().port(), o.http().limits(),
                        machines);
                closeables.add(0, provisioning);
                LOG.info("provisioning routes ({}) on http://{}", secureMounts.isEmpty()
                        ? "iPXE, ramdisk, images, agent" : "iPXE, ramdisk, CA", o.http().provisioning()
                        .authority(provisioning.port()));
            }
            if (!secureMounts.isEmpty()) {
                Router secure = Router.router(vertx);
                secureMounts.forEach(m -> m.accept(secure));
                Listener tls = Listener.start(vertx, "provisioning-tls", o.http().provisioningTls().host(),
                        o.http().provisioningTls().port(),
                        o.http().limits(), secure, provisioningCertificate);
                closeables.add(0, tls);
                LOG.info("agent and image routes on https://{}", o.http().provisioningTls().authority(tls.port()));
            }
            // only now, with every listener bound, may anything act on a machine
            revisions.restored().ifPresent(d -> {
                LOG.info("resuming revision {} from the state store", d.revision());
                putInForce(d);
            });
            controller.start();
            watcher.start(revisions.inForce().map(d -> d.revision()).orElse(null));
            LOG.info("plinth standalone: watching {} ({} {}), API on http://{}", source.config().redactedUrl(),
                    o.branch(), o.path().isEmpty() ? "/" : o.path(), o.http().api().authority(http.port()));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Images first, so that nodes find their image already queued for download. */
    private void putInForce(DesiredState state) {
        if (imageCache != null) {
            imageCache.setImages(state.images().values());
        }
        controller.setDesired(state);
    }

    public NodeController controller() {
        return controller;
    }

    public RevisionTracker revisions() {
        return revisions;
    }

    public StatusService status() {
        return status;
    }

    public FakeDriver fakeDriver() {
        return fake;
    }

    /** The operator API's port. */
    public int apiPort() {
        return http.port();
    }

    /** The provisioning listener's port; -1 with the fake driver, which serves no machine. */
    public int provisioningPort() {
        return provisioning == null ? -1 : provisioning.port();
    }

    @Override
    public void close() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("error while stopping {}: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
        closeables.clear();
    }
}
