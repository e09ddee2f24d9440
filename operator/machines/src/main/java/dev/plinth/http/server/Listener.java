package dev.plinth.http.server;

import dev.plinth.tls.ServerCertificate;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP listener with the limits of {@link HttpLimits}: an idle timeout (Vert.x), a cap on open connections, a
 * deadline for each request's headers and for its body (checked by a sweep, since Vert.x has neither), and bad
 * requests answered 4xx and logged as one rate-limited line, never a stack trace. HTTP/1.1 only: no h2c upgrade,
 * so one connection carries one request at a time and the deadlines are per connection.
 */
public final class Listener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Listener.class);
    /** Status codes a router reaches by failing; each is answered and logged as one line. */
    private static final int[] FAILURE_CODES = {400, 401, 403, 404, 405, 406, 413, 414, 415, 500, 501, 503};
    private static final long SWEEP_MILLIS = 250;

    private final String name;
    private final Vertx vertx;
    private final HttpLimits limits;
    private final HttpServer server;
    private final RateLimitedLog warnings;
    private final Map<HttpConnection, Progress> connections = new ConcurrentHashMap<>();
    private final long sweeper;

    /** Where one connection is: waiting for a request's headers since {@code since}, or in {@code request}. */
    private static final class Progress {
        volatile long since = System.nanoTime();
        volatile HttpServerRequest request;
        /** When the current request's response was first seen ended: the next request's headers are due after. */
        volatile long respondedAt;
    }

    private Listener(String name, Vertx vertx, HttpLimits limits, ServerCertificate tls) {
        this.name = name;
        this.vertx = vertx;
        this.limits = limits;
        this.warnings = new RateLimitedLog(LOG, 5, Duration.ofMinutes(1), Clock.systemUTC());
        HttpServerOptions options = new HttpServerOptions()
                .setIdleTimeout((int) limits.idleTimeout().toMillis()).setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setHttp2ClearTextEnabled(false);
        if (tls != null) {
            // a slow TLS handshake counts against the idle timeout too: Vert.x applies it from connect
            options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                    .setCertValue(Buffer.buffer(tls.certificatePem())).setKeyValue(Buffer.buffer(tls.keyPem())));
        }
        this.server = vertx.createHttpServer(options);
        this.sweeper = vertx.setPeriodic(SWEEP_MILLIS, id -> sweep());
    }

    /**
     * Binds {@code router} at {@code host:port}; fails with a one-line {@link IllegalStateException} naming the
     * listener and the address when it cannot bind.
     */
    public static Listener start(Vertx vertx, String name, String host, int port, HttpLimits limits, Router router) {
        return start(vertx, name, host, port, limits, router, null);
    }

    /** The same, over HTTPS with {@code tls} when it is not null. */
    public static Listener start(Vertx vertx, String name, String host, int port, HttpLimits limits, Router router,
            ServerCertificate tls) {
        Listener l = new Listener(name, vertx, limits, tls);
        for (int code : FAILURE_CODES) {
            router.errorHandler(code, ctx -> l.failed(ctx, code));
        }
        l.server.connectionHandler(l::connected).requestHandler(req -> {
            l.requested(req);
            router.handle(req);
        });
        try {
            l.server.listen(port, host).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.cancelTimer(l.sweeper);
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String address = host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
            throw new IllegalStateException("cannot listen on " + address + " (" + name + "): " + cause.getMessage());
        }
        return l;
    }

    private void connected(HttpConnection c) {
        if (connections.size() >= limits.maxConnections()) {
            warnings.warn(name + ": " + limits.maxConnections() + " connections open, closing one from "
                    + c.remoteAddress());
            c.close();
            return;
        }
        connections.put(c, new Progress());
        c.closeHandler(v -> connections.remove(c));
    }

    private void requested(HttpServerRequest req) {
        Progress p = connections.get(req.connection());
        if (p != null) {
            p.since = System.nanoTime();
            p.respondedAt = 0;
            p.request = req;
        }
    }

    /** Closes the connections past a deadline. */
    private void sweep() {
        long now = System.nanoTime();
        connections.forEach((c, p) -> {
            HttpServerRequest req = p.request;
            String late = null;
            if (req == null) {
                if (now - p.since > limits.headerTimeout().toNanos()) {
                    late = "no request headers within " + limits.headerTimeout().toSeconds() + " s";
                }
            } else if (!req.isEnded()) {
                if (now - p.since > limits.bodyTimeout().toNanos()) {
                    late = "request body not complete within " + limits.bodyTimeout().toSeconds() + " s";
                }
            } else if (req.response().ended()) {
                if (p.respondedAt == 0) {
                    p.respondedAt = now;
                } else if (now - p.respondedAt > limits.headerTimeout().toNanos()) {
                    late = "no next request within " + limits.headerTimeout().toSeconds() + " s";
                }
            }
            if (late != null) {
                connections.remove(c);
                LOG.debug("{}: closing the connection from {}: {}", name, c.remoteAddress(), late);
                c.close();
            }
        });
    }

    /**
     * A request the router failed (bad escape in the path, body too large, a handler's exception): one line, the
     * path without its query (tokens may travel there).
     */
    private void failed(RoutingContext ctx, int code) {
        Throwable f = ctx.failure();
        if (code == 404 || code == 405) {
            LOG.debug("{}: {} {} answered {}", name, ctx.request().method(), ctx.request().path(), code);
        } else {
            String what = f == null ? "" : ": " + f.getClass().getSimpleName() + ": " + f.getMessage();
            warnings.warn(name + ": " + (code >= 500 ? "" : "bad request ") + ctx.request().method() + " "
                    + ctx.request().path() + " from " + ctx.request().remoteAddress() + " answered " + code + what);
        }
        // an error handler answers: the router does not for every code (404 and 405 of no matching route)
        if (!ctx.response().ended() && !ctx.response().closed()) {
            if (ctx.response().headWritten()) {
                ctx.response().reset();
            } else {
                ctx.response().setStatusCode(code).end();
            }
        }
    }

    public int port() {
        return server.actualPort();
    }

    /** Open connections, for tests and metrics. */
    public int openConnections() {
        return connections.size();
    }

    @Override
    public void close() {
        vertx.cancelTimer(sweeper);
        CompletableFuture<Void> f = server.close().toCompletionStage().toCompletableFuture();
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the " + name + " listener: " + e.getMessage(), e);
        }
    }
}
