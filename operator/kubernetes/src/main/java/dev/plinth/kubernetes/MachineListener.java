package dev.plinth.kubernetes;

import dev.plinth.tls.ServerCertificate;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One machine-facing listener of the operator: an idle timeout and a cap on open connections, so that a stuck or
 * hostile client on the provisioning network cannot hold the process's sockets. HTTPS when given a certificate.
 * (Standalone's {@code runtime.http.Listener} adds header/body timeouts and rate-limited logging; it lives in the
 * standalone module with its address and limit types, used across standalone and e2e.)
 */
final class MachineListener implements AutoCloseable {
    static final int IDLE_TIMEOUT_SECONDS = 60;
    static final int MAX_CONNECTIONS = 256;
    private final HttpServer server;
    private final Set<HttpConnection> open = ConcurrentHashMap.newKeySet();

    private MachineListener(HttpServer server) {
        this.server = server;
    }

    static MachineListener start(Vertx vertx, String name, String host, int port, Router router,
            ServerCertificate tls) {
        HttpServerOptions options = new HttpServerOptions().setIdleTimeout(IDLE_TIMEOUT_SECONDS)
                .setIdleTimeoutUnit(TimeUnit.SECONDS).setHttp2ClearTextEnabled(false);
        if (tls != null) {
            options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                    .setCertValue(Buffer.buffer(tls.certificatePem())).setKeyValue(Buffer.buffer(tls.keyPem())));
        }
        MachineListener l = new MachineListener(vertx.createHttpServer(options));
        l.server.connectionHandler(c -> {
            if (l.open.size() >= MAX_CONNECTIONS) {
                c.close();
                return;
            }
            l.open.add(c);
            c.closeHandler(v -> l.open.remove(c));
        }).requestHandler(router);
        try {
            l.server.listen(port, host).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("cannot listen on " + host + ":" + port + " (" + name + "): "
                    + cause.getMessage());
        }
        return l;
    }

    int port() {
        return server.actualPort();
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
