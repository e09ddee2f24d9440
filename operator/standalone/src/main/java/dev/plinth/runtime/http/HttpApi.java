package dev.plinth.runtime.http;

import dev.plinth.runtime.status.StatusService;
import dev.plinth.json.Json;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's HTTP surface: probes, Prometheus metrics, the JSON status API and the Git webhook. Read-only
 * except the webhook, which only asks for a fetch.
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);

    private final Vertx vertx;
    private final HttpServer server;

    /**
     * @param ready reports readiness: a revision in force and the workers running
     * @param onWebhook called when a verified push webhook arrives
     */
    public HttpApi(Vertx vertx, String host, int port, StatusService status, PrometheusMeterRegistry metrics,
            BooleanSupplier ready, WebhookVerifier verifier, Runnable onWebhook) {
        this(vertx, host, port, status, metrics, ready, verifier, onWebhook, java.util.List.of());
    }

    /**
     * @param mounts more routes on the same port, mounted after the API's own, e.g. {@code ImageCache::mount} and
     *     {@code AgentService::mount} (network boot, deploy agent and image serving)
     */
    public HttpApi(Vertx vertx, String host, int port, StatusService status, PrometheusMeterRegistry metrics,
            BooleanSupplier ready, WebhookVerifier verifier, Runnable onWebhook,
            java.util.List<java.util.function.Consumer<Router>> mounts) {
        this.vertx = vertx;
        Router router = Router.router(vertx);
        router.get("/healthz").handler(ctx -> ctx.response().end("ok\n"));
        router.get("/readyz").handler(ctx -> {
            if (ready.getAsBoolean()) {
                ctx.response().end("ready\n");
            } else {
                ctx.response().setStatusCode(503).end("not ready: no revision in force yet\n");
            }
        });
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape()));
        router.get("/api/v1/status").handler(ctx -> json(ctx, status.summary()));
        router.get("/api/v1/nodes").handler(ctx -> json(ctx, status.nodes()));
        // events come from the store: off the event loop
        router.get("/api/v1/nodes/:name").blockingHandler(ctx -> status.node(ctx.pathParam("name"), 50)
                .ifPresentOrElse(v -> json(ctx, v), () -> notFound(ctx, "no node " + ctx.pathParam("name"))));
        router.get("/api/v1/images").handler(ctx -> json(ctx, status.images()));
        router.get("/api/v1/clouds").handler(ctx -> json(ctx, status.clouds()));
        router.get("/api/v1/revisions").handler(ctx -> json(ctx, status.revisions()));
        router.get("/api/v1/desired").handler(ctx -> json(ctx, status.desired()));
        router.post("/api/v1/webhook/git").handler(BodyHandler.create().setBodyLimit(1 << 20));
        router.post("/api/v1/webhook/git").handler(ctx -> {
            byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
            var h = ctx.request().headers();
            if (!verifier.accepts(body, h.get("X-Hub-Signature-256"), h.get("X-Gitea-Signature"),
                    h.get("X-Gitlab-Token"))) {
                LOG.warn("webhook from {} rejected: bad signature", ctx.request().remoteAddress());
                ctx.response().setStatusCode(401).end("bad signature\n");
                return;
            }
            onWebhook.run();
            ctx.response().setStatusCode(202).end("fetch triggered\n");
        });
        mounts.forEach(m -> m.accept(router));
        this.server = vertx.createHttpServer().requestHandler(router);
        await(server.listen(port, host).toCompletionStage().toCompletableFuture(), "listen on " + host + ":" + port);
    }

    public int port() {
        return server.actualPort();
    }

    private static void json(RoutingContext ctx, Object value) {
        ctx.response().putHeader("Content-Type", "application/json").end(Json.write(value));
    }

    private static void notFound(RoutingContext ctx, String message) {
        ctx.response().setStatusCode(404).putHeader("Content-Type", "application/json")
                .end(Json.write(java.util.Map.of("error", message)));
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f, String what) {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("cannot " + what + ": " + cause.getMessage(), cause);
        }
    }

    @Override
    public void close() {
        await(server.close().toCompletionStage().toCompletableFuture(), "stop the HTTP server");
    }
}
