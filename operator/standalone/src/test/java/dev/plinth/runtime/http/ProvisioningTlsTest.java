package dev.plinth.runtime.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 #2: the routes that carry tokens and images are HTTPS only, under a CA the controller makes and hands the
 * ramdisk as a second initrd. The client is the one the ramdisk uses: busybox wget, which verifies through the
 * {@code openssl} binary.
 */
class ProvisioningTlsTest {
    @TempDir
    Path dir;
    private Controller controller;
    private int tlsPort;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            tlsPort = s.getLocalPort();
        }
        // a name the host resolves (busybox wget cannot verify an IP address; the ramdisk maps its name in /etc/hosts)
        controller = Controller.start(dir, null,
                HttpOptions.loopback().withProvisioningTls(ListenAddress.loopback(tlsPort)), "http://localhost:8080");
    }

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
    }

    @Test
    void tokenRoutesAreOnlyOnTheHttpsListenerAndTheRamdiskClientVerifiesItWithTheCaInitrd() throws Exception {
        int plain = controller.provisioningPort();
        // plain HTTP: what iPXE needs, and the CA; no agent or image route
        assertThat(RawHttp.exchange(plain, get("/v1/agent/deploys/d1"))).startsWith("HTTP/1.1 404 ");
        assertThat(RawHttp.exchange(plain, get("/images/" + "0".repeat(64) + ".raw"))).startsWith("HTTP/1.1 404 ");
        assertThat(RawHttp.exchange(plain, get("/boot.ipxe"))).startsWith("HTTP/1.1 200 ");
        Path ca = unpackCa(fetch(plain, "/v1/ramdisk/ca.cpio"));
        assertThat(Files.readString(ca)).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(Files.readString(dir.resolve("state/tls/ca.pem"))).isEqualTo(Files.readString(ca));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state/tls/ca.key"))))
                .isEqualTo("rw-------");

        String url = "https://localhost:" + tlsPort + "/v1/agent/deploys/d1";
        // trusted CA: the TLS session is up and the agent route answers (401: no such deploy, no token)
        // (the status line, not a bare "401": the random port may hold those digits)
        assertThat(busyboxWget(url, ca)).contains("HTTP/1.1 401");
        // no CA, or another one: the handshake is refused, the route never reached
        assertThat(busyboxWget(url, null)).doesNotContain("HTTP/1.1 401").isNotEmpty();
        Path other = dir.resolve("other-ca.pem");
        Files.writeString(other, dev.plinth.tls.ControllerCa.loadOrCreate(dir.resolve("other"),
                java.time.Clock.systemUTC()).certificatePem());
        assertThat(busyboxWget(url, other)).doesNotContain("HTTP/1.1 401").isNotEmpty();
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    }

    private static byte[] fetch(int port, String path) throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** Unpacks the CA initrd with the real cpio, as the kernel would: the CA must be at etc/plinth/ca.pem. */
    private Path unpackCa(byte[] cpio) throws Exception {
        Path root = Files.createDirectories(dir.resolve("initrd"));
        Process p = new ProcessBuilder("cpio", "-idm", "--quiet").directory(root.toFile())
                .redirectErrorStream(true).start();
        p.getOutputStream().write(cpio);
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return root.resolve("etc/plinth/ca.pem");
    }

    /** What busybox wget (with openssl on PATH, as in the ramdisk) printed: the answer or its error. */
    private String busyboxWget(String url, Path ca) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(List.of("busybox", "wget", "-O", "-", url)).redirectErrorStream(true);
        pb.environment().remove("SSL_CERT_FILE");
        pb.environment().put("SSL_CERT_DIR", dir.resolve("no-certs").toString());
        if (ca != null) {
            pb.environment().put("SSL_CERT_FILE", ca.toString());
        } else {
            pb.environment().put("SSL_CERT_FILE", dir.resolve("no-such-ca.pem").toString());
        }
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
