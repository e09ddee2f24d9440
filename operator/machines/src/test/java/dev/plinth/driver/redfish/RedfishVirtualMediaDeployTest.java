package dev.plinth.driver.redfish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.agent.AgentService;
import dev.plinth.api.BmcSpec;
import dev.plinth.api.Compression;
import dev.plinth.api.DeployNetwork;
import dev.plinth.api.DiskImage;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.ImageFormat;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.RootDeviceHints;
import dev.plinth.core.Action;
import dev.plinth.core.Outcome;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.DeployRequest;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.NodeTarget;
import dev.plinth.image.ImageCache;
import dev.plinth.reconcile.ActionExecutor;
import dev.plinth.testkit.InMemoryStateStore;
import dev.plinth.testkit.SushyFixture;
import dev.plinth.testkit.TestBytes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A virtual media deploy through the lifecycle's actions ({@link ActionExecutor}, as the reconcile pass makes them)
 * with the real parts: sushy-emulator's fake system as the BMC (it downloads the ISO from the URL it is given, as a
 * BMC does), the Redfish driver, and the agent service building and serving the per-boot ISO on loopback. The
 * ramdisk is played by this test, with the token it reads from the ISO. Cross-checked with the sushy client.
 */
class RedfishVirtualMediaDeployTest {
    private static final String MAC = "52:54:00:00:00:01";
    @TempDir Path tmp;

    private SushyFixture bmc;
    private Vertx vertx;
    private HttpServer server;
    private String base;
    private ImageCache cache;
    private AgentService agent;
    private RedfishPowerDriver redfish;
    private final HttpClient http = HttpClient.newHttpClient();
    private final byte[] raw = new byte[64 * 1024];
    private DiskImage image;

    @BeforeEach
    void setUp() throws Exception {
        bmc = SushyFixture.start(SushyFixture.Options.plain());
        new Random(11).nextBytes(raw);
        Path src = Files.write(tmp.resolve("web.raw.gz"), TestBytes.gzip(raw));
        image = new DiskImage(ObjectMeta.named("web"), new DiskImageSpec(src.toUri().toString(),
                "sha256:" + TestBytes.sha256(raw), ImageFormat.RAW, Compression.GZ));
        cache = new ImageCache(tmp.resolve("cache"), 2, Duration.ofMinutes(10), Clock.systemUTC())
                .allowFilesFrom(List.of(tmp), tmp.resolve("state"));
        cache.setImages(List.of(image));
        await().atMost(20, TimeUnit.SECONDS).until(() -> cache.availability(image).ready());
        Files.writeString(tmp.resolve("vmlinuz"), "kernel bytes");
        Files.writeString(tmp.resolve("initramfs.cpio.gz"), "initramfs bytes");

        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(router).listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + server.actualPort();
        agent = new AgentService(new AgentService.Config(base, tmp.resolve("vmlinuz"),
                tmp.resolve("initramfs.cpio.gz"), "console=ttyS0", null, cache, new InMemoryStateStore(),
                tmp.resolve("keys/agent.key")));
        cache.mount(router, agent::mayFetchImage);
        agent.mount(router);
        redfish = new RedfishPowerDriver(RedfishClientConfig.defaults().withMinInterval(Duration.ZERO),
                Tls.jdkDefault());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (redfish != null) {
            redfish.close();
        }
        if (agent != null) {
            agent.close();
        }
        if (cache != null) {
            cache.close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        if (bmc != null) {
            bmc.close();
        }
    }

    private String sushyMedia() throws Exception {
        return bmc.sushy("m = conn.get_system('/redfish/v1/Systems/" + SushyFixture.SYSTEM_1
                + "').virtual_media.get_member('/redfish/v1/Systems/" + SushyFixture.SYSTEM_1 + "/VirtualMedia/Cd')\n"
                + "print(m.image or '-', m.inserted)");
    }

    private HttpResponse<byte[]> fetch(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aVirtualMediaDeployInsertsItsOwnIsoBootsTheCdOnceAndEjectsItAfterTheWrite() throws Exception {
        NodeTarget node = new NodeTarget("vm-0", BmcSpec.of(bmc.address(SushyFixture.SYSTEM_1), "bmc", false)
                .withVirtualMedia(new DeployNetwork("192.0.2.10/24", "192.0.2.1")),
                new BmcCredentials(SushyFixture.USER, bmc.password()), MAC);
        ActionExecutor executor = new ActionExecutor(new Drivers(redfish, agent, agent));
        DeployRequest deploy = new DeployRequest("vm-0-1-abc", "web", image.spec(), RootDeviceHints.NONE);

        assertThat(executor.execute(new Action.PrepareDeploy(deploy), node)).isEqualTo(Outcome.DONE);
        assertThat(executor.execute(new Action.BootFromMedia(), node)).isEqualTo(Outcome.DONE);

        // the BMC holds this boot's ISO, at an unguessable URL on the provisioning listener, and boots the CD next
        String media = sushyMedia();
        assertThat(media).matches(Pattern.quote(base) + "/v1/media/[0-9a-f]{64}\\.iso True");
        String url = media.substring(0, media.indexOf(' '));
        assertThat(bmc.sushyBoot(SushyFixture.SYSTEM_1)).startsWith("Cd ");
        assertThat(redfish.systemResource(node).path("Boot").path("BootSourceOverrideTarget").asText())
                .isEqualTo("Cd");
        HttpResponse<byte[]> iso = fetch(url);
        assertThat(iso.statusCode()).isEqualTo(200);
        assertThat(new String(iso.body(), 0x8001, 5, StandardCharsets.US_ASCII)).isEqualTo("CD001");
        assertThat(fetch(base + "/v1/media/" + "0".repeat(64) + ".iso").statusCode()).isEqualTo(404);
        assertThat(fetch(url.replaceAll("[0-9a-f](?=\\.iso$)", "x")).statusCode()).isEqualTo(404);

        // the ramdisk, booted from it, writes the image with the token the ISO gave it
        Matcher token = Pattern.compile("plinth\\.token=([0-9a-f]+)\n")
                .matcher(new String(iso.body(), StandardCharsets.ISO_8859_1));
        assertThat(token.find()).isTrue();
        HttpResponse<String> written = http.send(HttpRequest.newBuilder(
                        URI.create(base + "/v1/agent/deploys/vm-0-1-abc/events"))
                .header("Authorization", "Bearer " + token.group(1))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("phase=written&bytes=" + raw.length + "&sha256="
                        + TestBytes.sha256(raw))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(written.statusCode()).isBetween(200, 204);
        Outcome progress = executor.execute(new Action.ObserveDeploy("vm-0-1-abc"), node);
        assertThat(((Outcome.Progress) progress).progress().phase()).isEqualTo(DeployPhase.WRITTEN);
        // a written deploy's ISO is served no more
        assertThat(fetch(url).statusCode()).isEqualTo(404);

        // then the CD goes and the disk boots, persistently
        assertThat(executor.execute(new Action.SwitchToLocalBoot(true), node)).isEqualTo(Outcome.DONE);
        assertThat(sushyMedia()).isEqualTo("- False");
        assertThat(bmc.sushyBoot(SushyFixture.SYSTEM_1)).isEqualTo("Hdd Continuous UEFI");
        assertThat(executor.execute(new Action.FinishDeploy("vm-0-1-abc"), node)).isEqualTo(Outcome.DONE);
        assertThat(fetch(url).statusCode()).isEqualTo(404);
    }
}
