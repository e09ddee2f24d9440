package dev.plinth.kubernetes;

import dev.plinth.http.server.HttpLimits;
import dev.plinth.http.server.Listener;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

/**
 * The operator's webhook listener ({@code PLINTH_WEBHOOK_LISTEN}): the GitSource push webhooks
 * ({@link GitSourceHooks}), plain HTTP with standalone's limits ({@link HttpLimits#DEFAULT}: 10 s for headers and
 * for the body, 60 s idle, 512 connections). Every replica serves it: a call only asks for a sync.
 */
final class WebhookServer implements AutoCloseable {
    private final Vertx vertx;
    private final Listener listener;

    private WebhookServer(Vertx vertx, Listener listener) {
        this.vertx = vertx;
        this.listener = listener;
    }

    static WebhookServer start(KubernetesClient client, String host, int port) {
        Vertx vertx = Vertx.vertx();
        try {
            Router router = Router.router(vertx);
            new GitSourceHooks(client, Clock.systemUTC()).mount(router);
            return new WebhookServer(vertx, Listener.start(vertx, "webhook", host, port, HttpLimits.DEFAULT, router));
        } catch (RuntimeException e) {
            vertx.close();
            throw e;
        }
    }

    int port() {
        return listener.port();
    }

    @Override
    public void close() throws Exception {
        try {
            listener.close();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
