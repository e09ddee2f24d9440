package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.http.server.HttpLimits;
import dev.plinth.testkit.InMemoryStateStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's machine-facing listeners hold a client to the limits standalone's do (the same
 * {@code dev.plinth.http.server.Listener}): a slow-loris client that sends half a request and stalls is cut off after the
 * header or body timeout, not left holding a connection for the idle timeout (60 s) or forever.
 */
class MachineListenersTest {
    /** Short deadlines for the test; the idle timeout stays long, so only the header/body deadlines can cut. */
    private static final HttpLimits LIMITS = new HttpLimits(Duration.ofSeconds(1), Duration.ofSeconds(1),
            Duration.ofSeconds(60), 16);
    /** The deadlines plus the sweep and a margin for a loaded machine; far below the idle timeout. */
    private static final int BOUND_MILLIS = 8_000;

    @TempDir
    Path tmp;

    @Test
    void aClientStallingInItsHeadersOrBodyIsCutOffOnBothListeners() throws Exception {
        Path kernel = Files.writeString(tmp.resolve("vmlinuz"), "kernel bytes");
        Path initrd = Files.writeString(tmp.resolve("initramfs.cpio.gz"), "initramfs bytes");
        int tls = freePort();
        MetalConfig metal = new MetalConfig("http://127.0.0.1:8081", "127.0.0.1", 0, tls, kernel, initrd, "",
                List.of(), Files.createDirectories(tmp.resolve("state")), "plinth", "registry").withLimits(LIMITS);
        try (MachineStack stack = MachineStack.open(metal, new InMemoryStateStore(), key -> { })) {
            try (Socket halfHeader = new Socket("127.0.0.1", stack.plainPort());
                    Socket halfBody = new Socket("127.0.0.1", stack.plainPort());
                    SSLSocket halfHeaderTls = tls(metal, stack.tlsPort());
                    SSLSocket halfBodyTls = tls(metal, stack.tlsPort())) {
                send(halfHeader, "GET /boot.ipxe HTTP/1.1\r\nHost: x\r\nX-Slow: ");
                send(halfBody, "POST /boot.ipxe HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab");
                send(halfHeaderTls, "GET /v1/agent/checkin HTTP/1.1\r\nHost: x\r\n");
                send(halfBodyTls, "POST /v1/agent/checkin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
                        + "phase=wr");
                long start = System.nanoTime();
                for (Socket s : List.of(halfHeader, halfBody, halfHeaderTls, halfBodyTls)) {
                    assertThat(closedWithin(s, BOUND_MILLIS - elapsedMillis(start)))
                            .as("connection %s closed within %d ms", s, BOUND_MILLIS).isTrue();
                }
            }
        }
    }

    private static long elapsedMillis(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /** Whether the server closed the connection (end of stream or reset) within the time left. */
    private static boolean closedWithin(Socket s, long millis) throws IOException {
        s.setSoTimeout((int) Math.max(1, millis));
        InputStream in = s.getInputStream();
        try {
            while (in.read() != -1) {
                // a 408 or the like before the close is fine: the connection must end
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    private static SSLSocket tls(MetalConfig metal, int port) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Files.readAllBytes(metal.stateDir().resolve("tls/ca.pem")))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.startHandshake();
        return s;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
