package dev.plinth.runtime.http;

import dev.plinth.http.server.HttpLimits;
import dev.plinth.http.server.Listener;
import dev.plinth.http.WebhookVerifier;
import dev.plinth.json.Json;
import dev.plinth.runtime.status.StatusService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator API, on its own listener: probes, Prometheus metrics, the JSON status API and the Git webhook.
 * Read-only except the webhook, which only asks for a fetch, and the approval of a held revision. The machine-facing routes are on the provisioning
 * listener, never here.
 *
 * <p>Who may call it ({@link #check}): on loopback anyone who can reach the port; elsewhere only with the bearer
 * token, and the webhook only signed (its secret) or with the token. The probes need no token.
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    /** A push event is a few kB; GitHub caps them at 25 MB but sends far less for a branch push. */
    static final int WEBHOOK_BODY_LIMIT = 1 << 20;
    private static final String WEBHOOK = "/api/v1/webhook/git";
    private static final Set<String> OPEN = Set.of("/healthz", "/readyz", WEBHOOK);

    private final Listener listener;

    /**
     * @param token the bearer token every call but the probes and the webhook must carry; null for none
     * @param ready reports readiness: a revision in force and the workers running
     * @param onWebhook called when a verified push webhook arrives
     * @param approve puts the held revision it is given in force and returns its id, or throws
     *     {@link IllegalStateException} saying why not
     */
    public HttpApi(Vertx vertx, ListenAddress at, HttpLimits limits, ApiToken token, StatusService status,
            PrometheusMeterRegistry metrics, BooleanSupplier ready, WebhookVerifier verifier, Runnable onWebhook,
            UnaryOperator<String> approve) {
        check(at, token);
        boolean unsignedWebhooks = !verifier.enabled() && at.isLoopback();
        if (unsignedWebhooks) {
            LOG.info("webhook accepts unsigned calls on loopback (set a webhook secret to require signatures)");
        } else if (!verifier.enabled()) {
            LOG.info("webhook: no secret and the API is not on loopback: only calls with the API token are accepted");
        }
        Router router = Router.router(vertx);
        router.route().handler(ctx -> {
            if (token == null || OPEN.contains(ctx.request().path())
                    || token.admits(ctx.request().getHeader("Authorization"))) {
                ctx.next();
            } else {
                ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer")
                        .end("unauthorized: send the API token (Authorization: Bearer ...)\n");
            }
        });
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
        // the engine's queueing: off the event loop
        // 409 when the node may not be booted for it (provisioned, busy): its BMC is read again all the same
        router.post("/api/v1/nodes/:name/inspect").blockingHandler(ctx -> status.inspect(ctx.pathParam("name"))
                .ifPresentOrElse(v -> {
                    ctx.response().setStatusCode(v.status());
                    json(ctx, v.body());
                }, () -> notFound(ctx, "no node " + ctx.pathParam("name"))));
        // the store write and the engine's queueing: off the event loop
        router.post("/api/v1/revisions/:revision/approve").blockingHandler(ctx -> {
            try {
                String approved = approve.apply(ctx.pathParam("revision"));
                json(ctx, Map.of("approved", approved));
            } catch (IllegalStateException e) {
                ctx.response().setStatusCode(409).putHeader("Content-Type", "application/json")
                        .end(Json.write(Map.of("error", e.getMessage())));
            }
        });
        // in memory only: BodyHandler's default writes multipart uploads to ./file-uploads
        router.post(WEBHOOK).handler(BodyHandler.create(false).setBodyLimit(WEBHOOK_BODY_LIMIT));
        router.post(WEBHOOK).handler(ctx -> {
            byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
            var h = ctx.request().headers();
            boolean withToken = token != null && token.admits(h.get("Authorization"));
            boolean accepted = withToken || (verifier.enabled()
                    ? verifier.accepts(body, h.get("X-Hub-Signature-256"), h.get("X-Gitea-Signature"),
                            h.get("X-Gitlab-Token"))
                    : unsignedWebhooks);
            if (!accepted) {
                LOG.warn("webhook from {} rejected: {}", ctx.request().remoteAddress(),
                        verifier.enabled() ? "bad signature" : "unsigned, and the API is not on loopback");
                ctx.response().setStatusCode(401).end(verifier.enabled() ? "bad signature\n"
                        : "unsigned webhooks are refused here: configure a webhook secret or send the API token\n");
                return;
            }
            onWebhook.run();
            ctx.response().setStatusCode(202).end("fetch triggered\n");
        });
        this.listener = Listener.start(vertx, "API", at.host(), at.port(), limits, router);
    }

    /** A non-loopback API without a token is refused before anything listens. */
    public static void check(ListenAddress at, ApiToken token) {
        if (token == null && !at.isLoopback()) {
            throw new IllegalArgumentException("the API would listen on " + at + ", which is not loopback, without a"
                    + " token: give --api-token-file FILE (clients send it as a bearer token) or listen on"
                    + " 127.0.0.1");
        }
    }

    public int port() {
        return listener.port();
    }

    private static void json(RoutingContext ctx, Object value) {
        ctx.response().putHeader("Content-Type", "application/json").end(Json.write(value));
    }

    private static void notFound(RoutingContext ctx, String message) {
        ctx.response().setStatusCode(404).putHeader("Content-Type", "application/json")
                .end(Json.write(Map.of("error", message)));
    }

    @Override
    public void close() {
        listener.close();
    }
}
