package dev.plinth.runtime.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 8 #4: no request body is ever written to disk, whatever its Content-Type, and bodies are bounded. */
class UploadsTest {
    /** Where Vert.x's BodyHandler writes uploads by default: the working directory. */
    private static final Path UPLOADS = Path.of("file-uploads");

    @TempDir
    Path dir;
    private Controller controller;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
    }

    @Test
    void multipartBodiesToAnyRouteAreNeverWrittenToDisk() throws Exception {
        controller = Controller.start(dir, "webhook-secret");
        Set<Path> before = uploads();
        String body = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n" + "A".repeat(10_000) + "\r\n--b--\r\n";
        for (String path : List.of("/v1/agent/checkin", "/v1/agent/deploys/d1/events", "/api/v1/webhook/git")) {
            int port = path.startsWith("/api/") ? controller.apiPort() : controller.provisioningPort();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("Content-Type", "multipart/form-data; boundary=b")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isEqualTo(401); // no token, bad signature
        }
        Thread.sleep(300);
        assertThat(uploads()).as("files under %s", UPLOADS.toAbsolutePath()).isEqualTo(before);
    }

    @Test
    void bodiesOverTheLimitAreRefused() throws Exception {
        controller = Controller.start(dir, "webhook-secret");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + controller.apiPort() + "/api/v1/webhook/git"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(2 << 20))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(413);
        r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controller.provisioningPort()
                        + "/v1/agent/checkin")).POST(HttpRequest.BodyPublishers.ofString("x".repeat(1 << 20))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(413);
    }

    private static Set<Path> uploads() throws IOException {
        if (!Files.isDirectory(UPLOADS)) {
            return Set.of();
        }
        try (Stream<Path> s = Files.list(UPLOADS)) {
            return s.collect(Collectors.toSet());
        }
    }
}
