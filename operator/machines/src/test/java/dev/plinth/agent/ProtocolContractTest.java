package dev.plinth.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.api.Compression;
import dev.plinth.api.DiskImage;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.ImageFormat;
import dev.plinth.api.ObjectMeta;
import dev.plinth.driver.DeployRequest;
import dev.plinth.driver.NodeTarget;
import dev.plinth.image.ImageCache;
import dev.plinth.json.Json;
import dev.plinth.testkit.IpmiSimFixture;
import dev.plinth.testkit.InMemoryStateStore;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recorded transcripts of ramdisk/protocol/ replayed over real HTTP against both servers of the agent protocol:
 * the controller's routes ({@link AgentService} on its Vert.x router) and the lab's Python stub
 * (ramdisk/protocol/stub_api.py). The agent's side is {@link AgentContractTest}.
 */
class ProtocolContractTest {
    private final ContractFixture fixture = new ContractFixture();
    @TempDir Path tmp;

    @Test
    void theTranscriptsCoverTheHappyPathAndTheRefusals() {
        List<Transcript> all = ContractFixture.transcripts();
        assertThat(all).extracting(Transcript::name).contains("happy-path.exchanges", "refusals.exchanges",
                "replay.exchanges", "wrong-checksum.exchanges", "superseded.exchanges", "second-claim.exchanges",
                "clean.exchanges", "inspect.exchanges");
        List<String> requests = all.stream().flatMap(t -> t.exchanges().stream())
                .map(x -> x.method() + " " + x.path().replaceAll("/d[0-9]+|/nope", "/{id}").replaceAll("/v1/boot/[^/]*\\.ipxe",
                        "/v1/boot/{mac}.ipxe")).distinct().toList();
        assertThat(requests).contains("GET /boot.ipxe", "GET /v1/boot/{mac}.ipxe", "GET /v1/agent/deploys/{id}",
                "POST /v1/agent/deploys/{id}/events", "POST /v1/agent/checkin");
        assertThat(all.stream().flatMap(t -> t.exchanges().stream()).map(Transcript.Exchange::status).distinct())
                .contains(200, 401, 409);
    }

    @Test
    void aTranscriptThatDisagreesWithTheServerFails() throws Exception {
        // the runner itself must be able to fail: a wrong status, JSON value and line are all reported
        Transcript t = Transcript.parse("wrong", List.of("given deploy d1", "### instructions",
                "GET /v1/agent/deploys/d1", "Authorization: Bearer {{token.d1}}", "expect 201",
                "expect json compression = \"xz\"", "expect line nothing like this"));
        try (Controller c = new Controller()) {
            c.given("d1");
            assertThat(ContractFixture.replay(t, c.base, c.vars())).hasSize(3);
        }
    }

    @TestFactory
    Stream<DynamicTest> theControllersRoutesAnswerAsRecorded() {
        return ContractFixture.transcripts().stream().map(t -> DynamicTest.dynamicTest(t.name(), () -> {
            try (Controller c = new Controller()) {
                t.givenDeploys().forEach(c::given);
                assertThat(ContractFixture.replay(t, c.base, c.vars())).isEmpty();
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> thePythonStubAnswersAsRecorded() {
        return ContractFixture.transcripts().stream().map(t -> DynamicTest.dynamicTest(t.name(), () -> {
            Assumptions.assumeTrue(IpmiSimFixture.onPath("python3"), "python3 is not installed: the stub cannot run");
            try (Stub s = new Stub(t.givenDeploys())) {
                assertThat(ContractFixture.replay(t, s.base, s.vars())).isEmpty();
            }
        }));
    }

    /** The real AgentService with its routes and image cache on a Vert.x server on 127.0.0.1. */
    private final class Controller implements AutoCloseable {
        final Vertx vertx = Vertx.vertx();
        final String base;
        final ImageCache cache;
        final DiskImage image;
        final AgentService agent;
        final AgentTokens tokens;
        final Path dir = Files.createTempDirectory(tmp, "controller");

        Controller() throws Exception {
            Path src = dir.resolve("web.raw.gz");
            Files.write(src, fixture.gz);
            image = new DiskImage(ObjectMeta.named(ContractFixture.IMAGE), new DiskImageSpec(src.toUri().toString(),
                    "sha256:" + fixture.sha256, ImageFormat.RAW, Compression.GZ));
            cache = new ImageCache(dir.resolve("cache"), 2, Duration.ofMinutes(10), Clock.systemUTC())
                    .allowFilesFrom(List.of(dir), dir.resolve("state"));
            cache.setImages(List.of(image));
            await().atMost(20, TimeUnit.SECONDS).until(() -> cache.availability(image).ready());
            Files.writeString(dir.resolve("vmlinuz"), "kernel");
            Files.writeString(dir.resolve("initramfs.cpio.gz"), "initramfs");
            Router router = Router.router(vertx);
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                    .requestHandler(router).listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            base = "http://127.0.0.1:" + server.actualPort();
            Path key = dir.resolve("agent.key");
            agent = new AgentService(new AgentService.Config(base, dir.resolve("vmlinuz"), dir.resolve("initramfs.cpio.gz"),
                    "console=ttyS0", null, cache, new InMemoryStateStore(), key));
            tokens = AgentTokens.fromKeyFile(key);
            cache.mount(router, agent::mayFetchImage);
            agent.mount(router);
        }

        void given(String given) {
            NodeTarget node = new NodeTarget(ContractFixture.NODE, null, null, ContractFixture.MAC);
            DeployRequest d = given.startsWith(Transcript.WIPE)
                    ? DeployRequest.wipe(given.substring(Transcript.WIPE.length()))
                    : given.startsWith(Transcript.INSPECT)
                    ? DeployRequest.inspect(given.substring(Transcript.INSPECT.length()))
                    : new DeployRequest(given, ContractFixture.IMAGE, image.spec(), ContractFixture.HINTS);
            try {
                agent.prepareDeployBoot(node, d);
                // the lifecycle opens the boot window right before it boots the machine: its boot 1
                agent.openDeployBootWindow(node);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        Map<String, String> vars() {
            Map<String, String> v = fixture.vars();
            v.put("api", base);
            v.put("imageUrl", base + cache.servedPath(image).orElseThrow());
            for (String id : List.of("d1", "d2")) {
                v.put("token." + id, tokens.deployToken(id, 1));
                v.put("checkin." + id, tokens.checkinToken(id, 1));
            }
            return v;
        }

        @Override
        public void close() throws Exception {
            cache.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** ramdisk/protocol/stub_api.py on a free loopback port, given the transcript's deploys in its deploys file. */
    private final class Stub implements AutoCloseable {
        final String base;
        final Process process;
        final Map<String, String> vars = fixture.vars();
        final Path dir = Files.createTempDirectory(tmp, "stub");

        Stub(List<String> deploys) throws Exception {
            int port = ContractFixture.freePort();
            base = "http://127.0.0.1:" + port;
            vars.put("api", base);
            vars.put("imageUrl", base + "/files/web.raw.gz");
            Files.createDirectories(dir.resolve("files"));
            Files.write(dir.resolve("files/web.raw.gz"), fixture.gz);
            Map<String, Object> file = new LinkedHashMap<>();
            for (String id : List.of("d1", "d2")) {
                vars.put("token." + id, UUID.randomUUID().toString().replace("-", ""));
                vars.put("checkin." + id, UUID.randomUUID().toString().replace("-", ""));
            }
            for (String given : deploys) {
                if (given.startsWith(Transcript.WIPE) || given.startsWith(Transcript.INSPECT)) {
                    boolean wipe = given.startsWith(Transcript.WIPE);
                    String id = given.substring(given.indexOf(':') + 1);
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("token", vars.get("token." + id));
                    d.put("checkinToken", vars.get("checkin." + id));
                    d.put("action", wipe ? "clean" : "inspect");
                    d.put("node", ContractFixture.NODE);
                    d.put("mac", ContractFixture.MAC);
                    file.put(id, d);
                    continue;
                }
                String id = given;
                Map<String, Object> hints = new LinkedHashMap<>();
                hints.put("deviceName", ContractFixture.HINTS.deviceName());
                hints.put("minSizeGigabytes", ContractFixture.HINTS.minSizeGigabytes());
                hints.put("vendor", ContractFixture.HINTS.vendor());
                hints.put("rotational", ContractFixture.HINTS.rotational().toString());
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("token", vars.get("token." + id));
                d.put("checkinToken", vars.get("checkin." + id));
                d.put("imageUrl", vars.get("imageUrl"));
                d.put("sha256", fixture.sha256);
                d.put("bytes", fixture.raw.length);
                d.put("compression", "gz");
                d.put("rootDeviceHints", hints);
                d.put("node", ContractFixture.NODE);
                d.put("mac", ContractFixture.MAC);
                d.put("image", ContractFixture.IMAGE);
                file.put(id, d);
            }
            Files.writeString(dir.resolve("deploys.json"), Json.write(file));
            Path script = ContractFixture.repoRoot().resolve("ramdisk/protocol/stub_api.py");
            process = new ProcessBuilder("python3", script.toString(), "--bind", "127.0.0.1", "--port",
                    Integer.toString(port), "--dir", dir.toString(), "--deploys-file",
                    dir.resolve("deploys.json").toString(), "--advertise", base)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("stub.log").toFile()).start();
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(15, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the stub exited: " + Files.readString(dir.resolve("stub.log")));
                }
                try {
                    return http.send(HttpRequest.newBuilder(URI.create(base + "/boot.ipxe")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
        }

        Map<String, String> vars() {
            return vars;
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
