package dev.plinth.runtime.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.http.server.HttpLimits;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 8 #5: a client that sends nothing, part of its headers or part of its body is cut off in bounded time. */
class TimeoutsTest {
    private static final HttpLimits LIMITS = new HttpLimits(Duration.ofSeconds(2), Duration.ofSeconds(2),
            Duration.ofSeconds(60), 16);
    /** The header and body timeouts, plus a margin for a loaded machine. */
    private static final long BOUND_MILLIS = 5_000;

    @TempDir
    Path dir;
    private Controller controller;
    private final List<Socket> sockets = new ArrayList<>();
    private final ExecutorService readers = Executors.newCachedThreadPool();

    @AfterEach
    void stop() throws Exception {
        readers.shutdownNow();
        for (Socket s : sockets) {
            s.close();
        }
        if (controller != null) {
            controller.close();
        }
    }

    @Test
    void silentSlowHeaderAndSlowBodyConnectionsAreClosedOnBothListeners() throws Exception {
        controller = Controller.start(dir, null, HttpOptions.loopback().withLimits(LIMITS));
        List<CompletableFuture<String>> results = new ArrayList<>();
        for (int port : new int[] {controller.apiPort(), controller.provisioningPort()}) {
            results.add(closedWithin("nothing sent, port " + port, port, ""));
            results.add(closedWithin("partial headers, port " + port, port, "GET /healthz HTTP/1.1\r\nHost: x\r\n"));
            results.add(closedWithin("partial body, port " + port, port,
                    "POST /v1/agent/checkin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nphase=wr"));
            results.add(closedWithin("partial webhook body, port " + port, port,
                    "POST /api/v1/webhook/git HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"ref\""));
        }
        List<String> open = new ArrayList<>();
        for (CompletableFuture<String> r : results) {
            if (r.get() != null) {
                open.add(r.get());
            }
        }
        assertThat(open).as("connections still open after %d ms", BOUND_MILLIS).isEmpty();
    }

    @Test
    void connectionsOverTheCapAreClosed() throws Exception {
        controller = Controller.start(dir, null, HttpOptions.loopback().withLimits(LIMITS));
        int port = controller.apiPort();
        for (int i = 0; i <= LIMITS.maxConnections(); i++) {
            sockets.add(RawHttp.open(port));
        }
        long closed = RawHttp.millisUntilClosed(sockets.get(sockets.size() - 1), 1000);
        assertThat(closed).as("the connection over the cap is closed by the server").isNotNegative();
        assertThat(RawHttp.millisUntilClosed(sockets.get(0), 200)).as("the first stays open").isNegative();
        sockets.get(0).close(); // room again
        Thread.sleep(300);
        assertThat(RawHttp.exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200 ");
    }

    private CompletableFuture<String> closedWithin(String what, int port, String sent) throws Exception {
        Socket s = RawHttp.open(port);
        sockets.add(s);
        RawHttp.send(s, sent);
        return CompletableFuture.supplyAsync(() -> {
            try {
                long ms = RawHttp.millisUntilClosed(s, BOUND_MILLIS);
                System.out.println(what + ": " + (ms < 0 ? "still open" : "closed after " + ms + " ms"));
                return ms < 0 ? what : null;
            } catch (Exception e) {
                return what + ": " + e;
            }
        }, readers);
    }
}
