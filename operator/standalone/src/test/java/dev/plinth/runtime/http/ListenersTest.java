package dev.plinth.runtime.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.http.WebhookVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 8 #3: the operator API and the machine-facing routes on separate listeners. */
class ListenersTest {
    @TempDir
    Path dir;
    private Controller controller;

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
    }

    private String get(int port, String path) throws Exception {
        return get(port, path, "");
    }

    private String get(int port, String path, String headers) throws Exception {
        return RawHttp.exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers
                + "\r\n");
    }

    private String post(int port, String path, String headers) throws Exception {
        return RawHttp.exchange(port, "POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers
                + "Content-Length: 2\r\n\r\n{}");
    }

    /** Every interface: the API is reachable from elsewhere, so it needs its token. */
    private Controller startOnAllInterfaces(String webhookSecret) throws Exception {
        Files.writeString(dir.resolve("api.token"), TOKEN + "\n");
        return Controller.start(dir, webhookSecret, HttpOptions.loopback()
                .withApi(ListenAddress.parse("0.0.0.0:0"), dir.resolve("api.token")));
    }

    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @Test
    void anApiOffLoopbackAnswersOnlyWithTheToken() throws Exception {
        controller = startOnAllInterfaces(null);
        int api = controller.apiPort();
        for (String path : new String[] {"/api/v1/status", "/api/v1/desired", "/api/v1/nodes", "/metrics"}) {
            assertThat(get(api, path)).as(path).startsWith("HTTP/1.1 401 ");
            assertThat(get(api, path, "Authorization: Bearer wrong-token-wrong-token\r\n")).as(path)
                    .startsWith("HTTP/1.1 401 ");
            assertThat(get(api, path, "Authorization: Bearer " + TOKEN + "\r\n")).as(path)
                    .startsWith("HTTP/1.1 200 ");
        }
        assertThat(get(api, "/healthz")).startsWith("HTTP/1.1 200 ");
        // the webhook with no secret, off loopback: refused unless it carries the token
        assertThat(post(api, "/api/v1/webhook/git", "")).startsWith("HTTP/1.1 401 ");
        assertThat(post(api, "/api/v1/webhook/git", "Authorization: Bearer " + TOKEN + "\r\n"))
                .startsWith("HTTP/1.1 202 ");
    }

    @Test
    void aSignedWebhookNeedsNoToken() throws Exception {
        controller = startOnAllInterfaces("s3cret");
        String signature = new WebhookVerifier("s3cret").hmacHex("{}".getBytes());
        assertThat(post(controller.apiPort(), "/api/v1/webhook/git", "X-Gitea-Signature: " + signature + "\r\n"))
                .startsWith("HTTP/1.1 202 ");
        assertThat(post(controller.apiPort(), "/api/v1/webhook/git", "X-Gitea-Signature: 00\r\n"))
                .startsWith("HTTP/1.1 401 ");
    }

    @Test
    void anApiOffLoopbackWithoutATokenDoesNotStart() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Controller.start(dir, null, HttpOptions.loopback()
                        .withApi(ListenAddress.parse("0.0.0.0:0"), null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--api-token-file");
    }

    @Test
    void theCliSendsTheToken() throws Exception {
        controller = startOnAllInterfaces(null);
        String server = "http://127.0.0.1:" + controller.apiPort();
        java.io.StringWriter err = new java.io.StringWriter();
        int without = dev.plinth.runtime.cli.Main.commandLine().setErr(new java.io.PrintWriter(err, true))
                .execute("status", "--server", server);
        assertThat(without).isNotZero();
        assertThat(dev.plinth.runtime.cli.Main.commandLine().execute("status", "--server", server, "--token-file",
                dir.resolve("api.token").toString())).isZero();
    }

    @Test
    void theApiAndTheProvisioningRoutesAreOnSeparateListeners() throws Exception {
        controller = Controller.start(dir, null);
        assertThat(controller.apiPort()).isNotEqualTo(controller.provisioningPort());
        assertThat(get(controller.apiPort(), "/api/v1/status")).startsWith("HTTP/1.1 200 ");
        assertThat(get(controller.apiPort(), "/boot.ipxe")).startsWith("HTTP/1.1 404 ");
        assertThat(get(controller.apiPort(), "/v1/ramdisk/vmlinuz")).startsWith("HTTP/1.1 404 ");
        assertThat(get(controller.provisioningPort(), "/boot.ipxe")).startsWith("HTTP/1.1 200 ");
        for (String operatorRoute : new String[] {"/api/v1/status", "/api/v1/desired", "/metrics"}) {
            assertThat(get(controller.provisioningPort(), operatorRoute)).as(operatorRoute)
                    .startsWith("HTTP/1.1 404 ");
        }
    }
}
