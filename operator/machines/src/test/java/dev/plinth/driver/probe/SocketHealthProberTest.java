package dev.plinth.driver.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.HealthCheck;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Real sockets on loopback: a listening port, a closed one, HTTP servers answering 200 and 503. */
class SocketHealthProberTest {
    private final SocketHealthProber prober = new SocketHealthProber(Duration.ofSeconds(2));

    private static HealthCheck tcp(int port) {
        return new HealthCheck(true, port, null, "/", "{node}", 60);
    }

    private static HealthCheck http(int port, String path) {
        return new HealthCheck(true, null, port, path, "{node}", 60);
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Answers every connection with {@code status} and remembers the request line. */
    private static ServerSocket httpServer(String status, String[] requestLine) throws IOException {
        ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket c = server.accept()) {
                    var in = new java.io.BufferedReader(new java.io.InputStreamReader(c.getInputStream(),
                            StandardCharsets.US_ASCII));
                    requestLine[0] = in.readLine();
                    String l;
                    while ((l = in.readLine()) != null && !l.isEmpty()) {
                        // headers
                    }
                    c.getOutputStream().write(("HTTP/1.0 " + status + "\r\nContent-Length: 0\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return server;
    }

    @Test
    void tcpPassesOnAListeningPortAndFailsOnAClosedOne() throws IOException {
        try (ServerSocket open = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(prober.probe("127.0.0.1", tcp(open.getLocalPort()))).isNull();
        }
        int closed = closedPort();
        assertThat(prober.probe("127.0.0.1", tcp(closed))).startsWith("tcp 127.0.0.1:" + closed + ": ")
                .contains("refused");
    }

    @Test
    void httpNeeds2xxOnThePath() throws IOException {
        String[] request = new String[1];
        try (ServerSocket ok = httpServer("200 OK", request)) {
            assertThat(prober.probe("127.0.0.1", http(ok.getLocalPort(), "/healthz"))).isNull();
            assertThat(request[0]).isEqualTo("GET /healthz HTTP/1.0");
        }
        try (ServerSocket down = httpServer("503 Service Unavailable", request)) {
            assertThat(prober.probe("127.0.0.1", http(down.getLocalPort(), "/"))).isEqualTo(
                    "http http://127.0.0.1:" + down.getLocalPort() + "/: status 503");
        }
    }

    @Test
    void aSilentServerFailsAtTheTimeout() throws IOException {
        SocketHealthProber quick = new SocketHealthProber(Duration.ofMillis(200));
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            long t0 = System.nanoTime();
            assertThat(quick.probe("127.0.0.1", http(silent.getLocalPort(), "/"))).contains("SocketTimeoutException");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        }
    }
}
