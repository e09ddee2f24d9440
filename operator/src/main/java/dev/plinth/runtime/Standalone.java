package dev.plinth.runtime;

import dev.plinth.driver.Drivers;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.engine.EngineConfig;
import dev.plinth.engine.ImageCatalog;
import dev.plinth.engine.NodeController;
import dev.plinth.engine.NodeListener;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.revision.RevisionTracker;
import dev.plinth.runtime.http.HttpApi;
import dev.plinth.runtime.http.WebhookVerifier;
import dev.plinth.secrets.LocalSecretsFile;
import dev.plinth.source.GitSource;
import dev.plinth.source.GitSourceConfig;
import dev.plinth.source.RevisionWatcher;
import dev.plinth.source.Snapshot;
import dev.plinth.source.SourceException;
import dev.plinth.store.SqliteStateStore;
import dev.plinth.store.StateStore;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Standalone mode, wired: Git in, SQLite for actual state, drivers, the node controller and the HTTP API. A thin
 * shell; every decision is made in {@code core}.
 */
public final class Standalone implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Standalone.class);

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final NodeController controller;
    private final RevisionTracker revisions;
    private final StatusService status;
    private final FakeDriver fake;
    private final HttpApi http;

    public Standalone(StandaloneOptions o, NodeListener listener) {
        Clock clock = Clock.systemUTC();
        try {
            StateStore store = new SqliteStateStore(o.stateDir().resolve("plinth.db"), o.durable());
            closeables.add(store);
            Metrics metrics = new Metrics();
            NodeController[] self = new NodeController[1];
            if (!"fake".equals(o.driver())) {
                throw new IllegalArgumentException("unknown driver \"" + o.driver() + "\": this build has: fake");
            }
            LOG.warn("FAKE driver: machines are simulated in this process; no BMC or network is touched");
            fake = new FakeDriver(o.fake(), o.fakePersistent() ? o.stateDir().resolve("fake") : null, name -> self[0].wake(name), clock);
            closeables.add(fake);
            NodeListener listeners = (before, after) -> {
                metrics.changed(before, after);
                listener.changed(before, after);
            };
            controller = new NodeController(new NodeLifecycle(o.lifecycle()), new Drivers(fake, fake, fake),
                    new LocalSecretsFile(o.secretsFile()), ImageCatalog.ALWAYS_READY, store, clock,
                    new EngineConfig(o.workers(), 32, Duration.ofMinutes(5)), listeners);
            self[0] = controller;
            closeables.add(0, controller);
            metrics.watch(() -> controller);
            revisions = new RevisionTracker(store, controller::setDesired, clock);
            revisions.restored().ifPresent(d -> {
                LOG.info("resuming revision {} from the state store", d.revision());
                controller.setDesired(d);
            });
            controller.start();

            GitSource source = new GitSource(GitSourceConfig.of(o.repoUrl(), o.stateDir().resolve("git"))
                    .withBranch(o.branch()).withPath(o.path()).withPollInterval(o.pollInterval()));
            closeables.add(source);
            RevisionWatcher watcher = new RevisionWatcher(source, o.pollInterval(), new RevisionWatcher.Listener() {
                @Override
                public void onSnapshot(Snapshot s) {
                    boolean ok = revisions.offer(s.commitId(), s.message(), s.files()).isOk();
                    metrics.revision(ok);
                }

                @Override
                public void onFetchError(SourceException e) {
                    LOG.warn("fetch from {} failed: {}", source.config().redactedUrl(), e.getMessage());
                }
            }, clock);
            closeables.add(0, watcher);
            status = new StatusService(controller, revisions, store, ImageCatalog.ALWAYS_READY, watcher);
            Vertx vertx = Vertx.vertx();
            closeables.add(0, () -> vertx.close().toCompletionStage().toCompletableFuture().get());
            WebhookVerifier verifier = new WebhookVerifier(o.webhookSecret());
            if (!verifier.enabled()) {
                LOG.info("webhook accepts unsigned calls (set a webhook secret to require signatures)");
            }
            http = new HttpApi(vertx, o.listenHost(), o.listenPort(), status, metrics.registry(),
                    () -> revisions.inForce().isPresent(), verifier, watcher::triggerNow);
            closeables.add(0, http);
            watcher.start(revisions.inForce().map(d -> d.revision()).orElse(null));
            LOG.info("plinth standalone: watching {} ({} {}), API on http://{}:{}", source.config().redactedUrl(),
                    o.branch(), o.path().isEmpty() ? "/" : o.path(), o.listenHost(), http.port());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
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

    public int httpPort() {
        return http.port();
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
