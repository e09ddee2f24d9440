package dev.plinth.agent;

import dev.plinth.testkit.TestBytes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.plinth.api.Compression;
import dev.plinth.api.DiskImage;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.ImageFormat;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.RootDeviceHints;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.DeployProgress;
import dev.plinth.driver.DeployRequest;
import dev.plinth.driver.NodeTarget;
import dev.plinth.image.ImageCache;
import dev.plinth.testkit.InMemoryStateStore;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The agent protocol through real HTTP (Vert.x on 127.0.0.1), with the JDK HttpClient playing the agent. */
class AgentServiceTest {
    private static final String MAC1 = "52:54:00:AA:bb:01";
    private static final String MAC2 = "52:54:00:aa:bb:02";

    @TempDir Path tmp;

    private Vertx vertx;
    private HttpServer server;
    private volatile Router router;
    private String base;
    private ImageCache cache;
    private InMemoryStateStore store;
    private AgentService agent;
    private final List<String> woken = new CopyOnWriteArrayList<>();
    private final Set<String> seenTokens = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final HttpClient http = HttpClient.newHttpClient();
    private ListAppender<ILoggingEvent> logs;
    private Logger agentLogger;
    private final byte[] raw = new byte[256 * 1024 + 3];
    private DiskImage image;
    private byte[] gz;

    @BeforeEach
    void setUp() throws Exception {
        agentLogger = (Logger) LoggerFactory.getLogger("dev.plinth");
        agentLogger.setLevel(Level.INFO);
        agentLogger.setAdditive(false); // captured, not printed
        logs = new ListAppender<>();
        logs.start();
        agentLogger.addAppender(logs);

        new Random(7).nextBytes(raw);
        gz = TestBytes.gzip(raw);
        Path src = tmp.resolve("web.raw.gz");
        Files.write(src, gz);
        image = new DiskImage(ObjectMeta.named("web"),
                new DiskImageSpec(src.toUri().toString(), "sha256:" + TestBytes.sha256(raw), ImageFormat.RAW, Compression.GZ));
        cache = new ImageCache(tmp.resolve("cache"), 2, Duration.ofMinutes(10), Clock.systemUTC())
                .allowFilesFrom(List.of(tmp), tmp.resolve("state"));
        cache.setImages(List.of(image));
        await().atMost(20, TimeUnit.SECONDS).until(() -> cache.availability(image).ready());

        Files.writeString(tmp.resolve("vmlinuz"), "kernel bytes");
        Files.writeString(tmp.resolve("initramfs.cpio.gz"), "initramfs bytes");
        store = new InMemoryStateStore();

        vertx = Vertx.vertx();
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(req -> router.handle(req))
                .listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + server.actualPort();
        agent = newAgent();
    }

    private AgentService newAgent() {
        AgentService a = new AgentService(new AgentService.Config(base, tmp.resolve("vmlinuz"),
                tmp.resolve("initramfs.cpio.gz"), "console=ttyS0", woken::add, cache, store,
                tmp.resolve("keys/agent.key")));
        Router r = Router.router(vertx);
        cache.mount(r, a::mayFetchImage);
        a.mount(r);
        router = r;
        return a;
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            // no token ever reached a log line, the store or toString
            List<String> lines = new ArrayList<>();
            for (ILoggingEvent e : logs.list) {
                lines.add(e.getFormattedMessage());
                if (e.getThrowableProxy() != null) {
                    lines.add(e.getThrowableProxy().getMessage());
                }
            }
            String doc = store.loadDeployRegistry().orElse("");
            for (String token : seenTokens) {
                assertThat(lines).noneMatch(l -> l != null && l.contains(token));
                assertThat(doc).doesNotContain(token);
                assertThat(agent.toString()).doesNotContain(token);
            }
        } finally {
            agentLogger.detachAppender(logs);
            agentLogger.setLevel(null);
            agentLogger.setAdditive(true);
            cache.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    // --- helpers ---

    private static NodeTarget node(String name, String mac) {
        return new NodeTarget(name, null, null, mac);
    }

    private DeployRequest deploy(String id) {
        return new DeployRequest(id, "web", image.spec(), new RootDeviceHints("/dev/vda", null, "QEMU", "disk-1",
                null, 2, false));
    }

    private void deployTo(NodeTarget node, String id) throws Exception {
        agent.start(node, deploy(id));
        agent.prepareDeployBoot(node, deploy(id));
        // as the lifecycle does right before it boots the machine into the ramdisk
        agent.openDeployBootWindow(node);
    }

    private record Tokens(String deploy, String checkin) {}

    private Tokens tokensFrom(String script) {
        Matcher t = Pattern.compile("plinth\\.token=(\\S+)").matcher(script);
        Matcher c = Pattern.compile("plinth\\.checkin=(\\S+)").matcher(script);
        assertThat(t.find()).as(script).isTrue();
        assertThat(c.find()).as(script).isTrue();
        seenTokens.add(t.group(1));
        seenTokens.add(c.group(1));
        return new Tokens(t.group(1), c.group(1));
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String token, String form) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String script(String mac) throws Exception {
        HttpResponse<String> r = get("/v1/boot/" + mac + ".ipxe", null);
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private Tokens tokens(String mac) throws Exception {
        return tokensFrom(script(mac));
    }

    // --- tests ---

    // --- virtual media ---

    private static NodeTarget mediaNode(String name, String mac) {
        return new NodeTarget(name, dev.plinth.api.BmcSpec.of("redfish+http://127.0.0.1:8000/redfish/v1/Systems/1",
                "bmc", false).withVirtualMedia(new dev.plinth.api.DeployNetwork("192.0.2.10/24", "192.0.2.1")),
                null, mac);
    }

    private HttpResponse<byte[]> fetch(String url, String range) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (range != null) {
            b.header("Range", range);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aVirtualMediaBootGetsItsOwnIsoAtAnUnguessableUrlUntilTheBootOrTheDeployEnds() throws Exception {
        NodeTarget n = mediaNode("vm-1", MAC1);
        deployTo(n, "d-vm");
        String url = agent.publishDeployMedia(n);
        String name = url.substring(url.lastIndexOf('/') + 1);
        seenTokens.add(name.replace(".iso", ""));
        assertThat(url).matches(Pattern.quote(base) + "/v1/media/[0-9a-f]{64}\\.iso");

        HttpResponse<byte[]> iso = fetch(url, null);
        assertThat(iso.statusCode()).isEqualTo(200);
        assertThat(iso.headers().firstValue("Cache-Control")).contains("no-store");
        // ISO 9660: the primary volume descriptor's identifier at 0x8001
        assertThat(new String(iso.body(), 0x8001, 5, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("CD001");
        // the files go in uncompressed: the generic ramdisk, isolinux's config and the boot's own parameters
        String text = new String(iso.body(), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(text).contains("kernel bytes").contains("initramfs bytes")
                .contains("APPEND initrd=/plinth/initrd.gz,/plinth/deploy.img console=ttyS0 quiet")
                .contains("plinth.api=" + base + "\nplinth.deploy=d-vm\n")
                .contains("BOOTIF=01-52-54-00-aa-bb-01\nplinth.ip=192.0.2.10/24\nplinth.gateway=192.0.2.1\n");
        Tokens t = tokensFrom(text);
        assertThat(get("/v1/agent/deploys/d-vm", t.deploy()).statusCode()).isEqualTo(200);

        // one range, as a BMC that mounts the ISO reads it
        HttpResponse<byte[]> part = fetch(url, "bytes=32769-32773");
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(new String(part.body(), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("CD001");
        assertThat(fetch(url, "bytes=999999999-").statusCode()).isEqualTo(416);
        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(url))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(iso.body().length);
        // a guess is answered as a missing ISO is
        assertThat(fetch(base + "/v1/media/" + "0".repeat(64) + ".iso", null).statusCode()).isEqualTo(404);
        assertThat(fetch(url.replace(".iso", ""), null).statusCode()).isEqualTo(404);
        // the ISO was this boot's hand-out of its credential: a network boot in the same boot gets none
        assertThat(script(MAC1)).doesNotContain("plinth.token").contains("handed out already");

        // the next boot: a new ISO with new tokens; the last one is gone, and its tokens are void
        agent.openDeployBootWindow(n);
        assertThat(fetch(url, null).statusCode()).isEqualTo(404);
        String url2 = agent.publishDeployMedia(n);
        seenTokens.add(url2.substring(url2.lastIndexOf('/') + 1).replace(".iso", ""));
        assertThat(url2).isNotEqualTo(url);
        assertThat(get("/v1/agent/deploys/d-vm", t.deploy()).statusCode()).isEqualTo(401);
        Tokens t2 = tokensFrom(new String(fetch(url2, null).body(), java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThat(get("/v1/agent/deploys/d-vm", t2.deploy()).statusCode()).isEqualTo(200);
        assertThat(agent.publishedMedia()).isEqualTo(1);

        // the deploy ends: the ISO is gone, from the web and from the disk
        agent.finish(n, "d-vm");
        assertThat(fetch(url2, null).statusCode()).isEqualTo(404);
        assertThat(agent.publishedMedia()).isZero();
    }

    @Test
    void bmcsMayFetchTheIsoFromAnotherAddressThanTheMachinesUse() throws Exception {
        AgentService.Config c = new AgentService.Config(base, tmp.resolve("vmlinuz"), tmp.resolve("initramfs.cpio.gz"),
                "", woken::add, cache, store, tmp.resolve("keys/agent.key")).withMediaBaseUrl("http://127.0.0.9:8081/");
        assertThat(c.mediaBaseUrl()).isEqualTo("http://127.0.0.9:8081");
        assertThat(c.withTls(null).mediaBaseUrl()).isEqualTo("http://127.0.0.9:8081");
        try (AgentService a = new AgentService(c)) {
            NodeTarget n = mediaNode("vm-5", MAC1);
            a.start(n, deploy("d-vm5"));
            a.prepareDeployBoot(n, deploy("d-vm5"));
            a.openDeployBootWindow(n);
            String url = a.publishDeployMedia(n);
            seenTokens.add(url.substring(url.lastIndexOf('/') + 1).replace(".iso", ""));
            assertThat(url).startsWith("http://127.0.0.9:8081/v1/media/");
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.withMediaBaseUrl("https://bmc-net:8443"))
                .hasMessageContaining("must be http://HOST[:PORT]");
    }

    @Test
    void aWrittenDeploysIsoIsNoLongerServed() throws Exception {
        NodeTarget n = mediaNode("vm-2", MAC2);
        deployTo(n, "d-vm2");
        String url = agent.publishDeployMedia(n);
        seenTokens.add(url.substring(url.lastIndexOf('/') + 1).replace(".iso", ""));
        Tokens t = tokensFrom(new String(fetch(url, null).body(), java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThat(post("/v1/agent/deploys/d-vm2/events", t.deploy(), "phase=failed&message=disk+on+fire")
                .statusCode()).isBetween(200, 204);
        assertThat(fetch(url, null).statusCode()).isEqualTo(404);
    }

    @Test
    void withoutXorrisoTheDeployIsoFailsSayingWhatToInstall() throws Exception {
        AgentService a = new AgentService(new AgentService.Config(base, tmp.resolve("vmlinuz"),
                tmp.resolve("initramfs.cpio.gz"), "", woken::add, cache, store, tmp.resolve("keys/agent.key")),
                Clock.systemUTC(), new XorrisoIsoBuilder("/nonexistent/xorriso"));
        NodeTarget n = mediaNode("vm-3", MAC2);
        a.start(n, deploy("d-vm3"));
        a.prepareDeployBoot(n, deploy("d-vm3"));
        a.openDeployBootWindow(n);
        dev.plinth.driver.DriverException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                dev.plinth.driver.DriverException.class, () -> a.publishDeployMedia(n));
        assertThat(e.kind()).isEqualTo(dev.plinth.driver.FailureKind.DEPLOY_FAILED);
        assertThat(e.getMessage()).contains("vm-3").contains("/nonexistent/xorriso is not installed")
                .contains("Debian package xorriso");
        // and a node without a boot window open has nothing to put on an ISO
        NodeTarget idle = mediaNode("vm-4", "52:54:00:aa:bb:09");
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(dev.plinth.driver.DriverException.class,
                () -> a.publishDeployMedia(idle)).getMessage()).contains("no deploy with an open boot window");
    }

    @Test
    void perMacScriptOfAPendingDeployCarriesKernelTokensAndInitrd() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "web-0-1-abc");

        assertThat(get("/boot.ipxe", null).body())
                .isEqualTo("#!ipxe\nchain " + base + "/v1/boot/${mac}.ipxe\n");

        String script = script("52:54:00:aa:bb:01");
        Tokens t = tokensFrom(script);
        assertThat(t.deploy()).matches("[0-9a-f]{64}").isNotEqualTo(t.checkin());
        assertThat(script).startsWith("#!ipxe\n")
                .contains("echo Plinth: deploying web to web-0 (deploy web-0-1-abc)\n")
                .contains("kernel " + base + "/v1/ramdisk/vmlinuz console=ttyS0 quiet plinth.api=" + base
                        + " plinth.deploy=web-0-1-abc plinth.token=" + t.deploy() + " plinth.node=web-0 plinth.checkin="
                        + t.checkin() + " BOOTIF=01-${mac:hexhyp}\n")
                .contains("initrd " + base + "/v1/ramdisk/initramfs.cpio.gz\n")
                .endsWith("boot\n");
        // iPXE percent-encodes the colons; case does not matter (a fresh boot: the first one is claimed)
        agent.openDeployBootWindow(n1);
        String encoded = script("52%3A54%3A00%3AAA%3ABB%3A01");
        Tokens t2 = tokensFrom(encoded);
        assertThat(encoded).isEqualTo(script.replace(t.deploy(), t2.deploy()).replace(t.checkin(), t2.checkin()));
        // another MAC boots locally
        assertThat(script("52%3A54%3A00%3Aaa%3Abb%3A02")).isEqualTo("#!ipxe\necho Plinth: local boot\nexit\n");
        assertThat(script("not-a-mac")).isEqualTo(AgentService.LOCAL_BOOT);

        HttpResponse<String> kernel = get("/v1/ramdisk/vmlinuz", null);
        assertThat(kernel.statusCode()).isEqualTo(200);
        assertThat(kernel.body()).isEqualTo("kernel bytes");
        assertThat(kernel.headers().firstValueAsLong("Content-Length")).hasValue(12);
        assertThat(get("/v1/ramdisk/initramfs.cpio.gz", null).body()).isEqualTo("initramfs bytes");

        // local boot from now on
        agent.prepareLocalBoot(n1);
        assertThat(script("52:54:00:aa:bb:01")).isEqualTo(AgentService.LOCAL_BOOT);
        agent.cleanUp(n1);
        assertThat(script("52:54:00:aa:bb:01")).isEqualTo(AgentService.LOCAL_BOOT);
        assertThat(agent.observe(n1, "web-0-1-abc").phase()).isEqualTo(DeployPhase.UNKNOWN);
    }

    @Test
    void withoutARamdiskTheScriptSaysSo() throws Exception {
        AgentService bare = new AgentService(new AgentService.Config(base, null, null, "", woken::add, cache, store,
                tmp.resolve("keys/agent.key")));
        Router r = Router.router(vertx);
        bare.mount(r);
        router = r;
        agent = bare;
        bare.prepareDeployBoot(node("web-0", MAC1), deploy("d1"));
        bare.openDeployBootWindow(node("web-0", MAC1));
        String s = script(MAC1);
        assertThat(s).contains("the deploy ramdisk is not configured").doesNotContain("plinth.token");
        assertThat(get("/v1/ramdisk/vmlinuz", null).statusCode()).isEqualTo(404);
    }

    @Test
    void instructionsNeedTheDeploysOwnToken() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        NodeTarget n2 = node("web-1", MAC2);
        deployTo(n1, "d1");
        deployTo(n2, "d2");
        Tokens t1 = tokens(MAC1);
        Tokens t2 = tokens(MAC2);

        assertThat(get("/v1/agent/deploys/d1", null).statusCode()).isEqualTo(401);
        assertThat(get("/v1/agent/deploys/d1", "0".repeat(64)).statusCode()).isEqualTo(401);
        assertThat(get("/v1/agent/deploys/d1", t2.deploy()).statusCode()).isEqualTo(401);
        assertThat(get("/v1/agent/deploys/d1", t1.checkin()).statusCode()).isEqualTo(401);
        assertThat(get("/v1/agent/deploys/nope", t1.deploy()).statusCode()).isEqualTo(401);
        assertThat(logs.list).anyMatch(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().contains("rejected GET /v1/agent/deploys/d1"));

        HttpResponse<String> ok = get("/v1/agent/deploys/d1?x=1", t1.deploy());
        assertThat(ok.statusCode()).isEqualTo(200);
        String path = cache.servedPath(image).orElseThrow();
        assertThat(ok.body()).isEqualTo("{\"imageUrl\":\"" + base + path + "\",\"sha256\":\"" + TestBytes.sha256(raw)
                + "\",\"compression\":\"gz\",\"rootDeviceHints\":{\"deviceName\":\"/dev/vda\",\"minSizeGigabytes\":2,"
                + "\"vendor\":\"QEMU\",\"serialNumber\":\"disk-1\",\"rotational\":\"false\"}}");
        assertThat(agent.observe(n1, "d1").phase()).isEqualTo(DeployPhase.DOWNLOADING);
        assertThat(woken).contains("web-0");

        // the image URL in the instructions serves the verified image, to this deploy's agent
        HttpResponse<byte[]> img = http.send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + t1.deploy()).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(img.statusCode()).isEqualTo(200);
        assertThat(img.body()).isEqualTo(gz);
        assertThat(logs.list).noneMatch(e -> e.getFormattedMessage().contains("x=1"));
    }

    @Test
    void progressBeyondTheImageOrBelowZeroIsRefusedAndChangesNothing() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t = tokens(MAC1);
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=writing&bytes=1000").statusCode())
                .isEqualTo(200);
        for (String bytes : new String[] {"9223372036854775807", String.valueOf(raw.length + 1), "-5"}) {
            HttpResponse<String> r = post("/v1/agent/deploys/d1/events", t.deploy(), "phase=writing&bytes=" + bytes);
            assertThat(r.statusCode()).as(bytes).isEqualTo(400);
            assertThat(r.body()).contains("bytes out of range");
        }
        assertThat(agent.observe(n1, "d1").bytesWritten()).isEqualTo(1000);
    }

    @Test
    void imageBytesGoOnlyToTheAgentOfAnOpenDeployOfThatImage() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t1 = tokens(MAC1);
        String path = cache.servedPath(image).orElseThrow();

        // anyone on the provisioning network: no token, someone else's, a check-in token
        assertThat(get(path, null).statusCode()).isEqualTo(404);
        assertThat(get(path, "0".repeat(64)).statusCode()).isEqualTo(404);
        assertThat(get(path, t1.checkin()).statusCode()).isEqualTo(404);
        assertThat(get(path, t1.deploy()).statusCode()).isEqualTo(200);

        // once the deploy is over, its token fetches nothing either
        assertThat(post("/v1/agent/deploys/d1/events", t1.deploy(), "phase=written&bytes=" + raw.length
                + "&sha256=" + TestBytes.sha256(raw)).statusCode()).isEqualTo(200);
        assertThat(get(path, t1.deploy()).statusCode()).isEqualTo(404);
        agent.finish(n1, "d1");
        assertThat(get(path, t1.deploy()).statusCode()).isEqualTo(404);
    }

    @Test
    void eventsMoveTheDeployThroughWritingToWritten() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t = tokens(MAC1);
        assertThat(agent.observe(n1, "d1")).isEqualTo(new DeployProgress(DeployPhase.WAITING, 0, raw.length, ""));
        assertThat(agent.observe(n1, "other").phase()).isEqualTo(DeployPhase.UNKNOWN);

        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=booted&ip=10.0.2.15&interface=eth0&uptime=3")
                .statusCode()).isEqualTo(200);
        assertThat(agent.observe(n1, "d1").message()).contains("10.0.2.15");
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=writing&bytes=0&disk=%2Fdev%2Fvda")
                .statusCode()).isEqualTo(200);
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=writing&bytes=131072").statusCode())
                .isEqualTo(200);
        DeployProgress writing = agent.observe(n1, "d1");
        assertThat(writing.phase()).isEqualTo(DeployPhase.WRITING);
        assertThat(writing.bytesWritten()).isEqualTo(131072);
        assertThat(writing.bytesTotal()).isEqualTo(raw.length);
        assertThat(writing.phaseMillis()).containsOnlyKeys("bootToAgent");
        woken.clear();
        HttpResponse<String> written = post("/v1/agent/deploys/d1/events", t.deploy(), "phase=written&bytes="
                + raw.length + "&sha256=" + TestBytes.sha256(raw) + "&disk=%2Fdev%2Fvda&writeCentiseconds=120&uptime=9");
        assertThat(written.statusCode()).isEqualTo(200);
        DeployProgress p = agent.observe(n1, "d1");
        assertThat(p.phase()).isEqualTo(DeployPhase.WRITTEN);
        assertThat(p.bytesWritten()).isEqualTo(raw.length);
        assertThat(p.message()).contains("/dev/vda");
        assertThat(p.phaseMillis()).containsEntry("downloadAndWrite", 1200L).containsKeys("bootToAgent", "verify");
        assertThat(woken).containsExactly("web-0");

        // the deploy script is no longer served, the token is spent
        assertThat(script(MAC1)).isEqualTo(AgentService.LOCAL_BOOT);
        String replay = "phase=written&bytes=" + raw.length + "&sha256=" + TestBytes.sha256(raw);
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), replay).statusCode()).isEqualTo(409);
        assertThat(get("/v1/agent/deploys/d1", t.deploy()).statusCode()).isEqualTo(409);
        agent.finish(n1, "d1");
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), replay).statusCode()).isEqualTo(401);
        assertThat(agent.observe(n1, "d1").phase()).isEqualTo(DeployPhase.WRITTEN);
    }

    // --- inventory ---

    /** An inventory form as the agent sends it: sda (1 GiB, serial disk-0) and vda (2 GiB, serial VDASERIAL), one NIC. */
    private static String inventory(String vdaSerial, String nicMac, String cpuModel) {
        return "phase=inventory&cpus=2&cpuModel=" + cpuModel + "&memoryBytes=2147483648&firmware=uefi"
                + "&disk.0.name=sda&disk.0.sizeBytes=1073741824&disk.0.model=QEMU+HARDDISK&disk.0.vendor=QEMU"
                + "&disk.0.serial=disk-0&disk.0.wwn=naa.5000c50000000000&disk.0.rotational=false"
                + "&disk.0.removable=0&disk.0.readOnly=0"
                + "&disk.1.name=vda&disk.1.sizeBytes=2147483648&disk.1.model=&disk.1.vendor=QEMU"
                + "&disk.1.serial=" + vdaSerial + "&disk.1.wwn=&disk.1.rotational=false&disk.1.removable=0"
                + "&disk.1.readOnly=0"
                + "&nic.0.name=eth0&nic.0.mac=" + nicMac + "&nic.0.link=up&nic.0.speedMbps=";
    }

    @Test
    void theInventoryIsKeptForTheNodeAcrossARestartAndNamesTheTargetDisk() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t = tokens(MAC1);
        assertThat(agent.inventory("web-0")).isEmpty();
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=booted&ip=10.0.2.15").statusCode())
                .isEqualTo(200);
        assertThat(get("/v1/agent/deploys/d1", t.deploy()).statusCode()).isEqualTo(200);
        // a control character in a machine's text is escaped where it comes in
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), inventory("disk-1", "52:54:00:aa:bb:01",
                "Xeon%1B%5B2J")).statusCode()).isEqualTo(200);
        DeployProgress p = agent.observe(n1, "d1");
        assertThat(p.phase()).isEqualTo(DeployPhase.DOWNLOADING);
        assertThat(p.message()).isEqualTo("inventory: 2 CPU(s), 2048 MiB, 2 disk(s), 1 NIC(s), uefi; target disk"
                + " /dev/vda");
        assertThat(p.alert()).isEmpty();
        // the time inspection took, from the ramdisk's boot report to its inventory, is in the deploy's phases
        assertThat(p.phaseMillis()).containsKeys("bootToAgent", "inspect");
        assertThat(p.phaseMillis().get("inspect")).isNotNegative();

        agent = newAgent();
        Inventory inv = agent.inventory("web-0").orElseThrow();
        assertThat(inv.deployId()).isEqualTo("d1");
        assertThat(inv.cpus()).isEqualTo(2);
        assertThat(inv.cpuModel()).isEqualTo("Xeon\\u001b[2J");
        assertThat(inv.memoryBytes()).isEqualTo(2L << 30);
        assertThat(inv.firmware()).isEqualTo("uefi");
        assertThat(inv.disks()).containsExactly(
                new Inventory.Disk("sda", 1L << 30, "QEMU HARDDISK", "QEMU", "disk-0", "naa.5000c50000000000",
                        false, false, false),
                new Inventory.Disk("vda", 2L << 30, "", "QEMU", "disk-1", "", false, false, false));
        assertThat(inv.nics()).containsExactly(new Inventory.Nic("eth0", "52:54:00:aa:bb:01", "up", null));
        // the writing goes on as before
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=writing&bytes=0&disk=%2Fdev%2Fvda")
                .statusCode()).isEqualTo(200);
        // a node taken out of Git is forgotten with its inventory
        agent.cleanUp(n1);
        assertThat(agent.inventory("web-0")).isEmpty();
    }

    @Test
    void hintsThatMatchNoDiskFailTheDeployBeforeAnythingIsWrittenNamingHintsAndCandidates() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t = tokens(MAC1);
        HttpResponse<String> r = post("/v1/agent/deploys/d1/events", t.deploy(), inventory("disk-9",
                "52:54:00:aa:bb:01", "x"));
        assertThat(r.statusCode()).isEqualTo(409);
        String problem = "no disk matches the root device hints (deviceName=/dev/vda minSizeGigabytes=2 vendor=QEMU"
                + " serialNumber=disk-1 rotational=false); candidates: sda (1073741824 bytes, model=QEMU HARDDISK"
                + " vendor=QEMU serial=disk-0 wwn=naa.5000c50000000000 rotational=false), vda (2147483648 bytes,"
                + " model= vendor=QEMU serial=disk-9 wwn= rotational=false)";
        assertThat(r.body()).isEqualTo("root device hints: " + problem + "\n");
        assertThat(agent.observe(n1, "d1")).isEqualTo(new DeployProgress(DeployPhase.FAILED, 0, raw.length,
                "inventory: " + problem));
        // kept all the same: it is what the machine has
        assertThat(agent.inventory("web-0")).isPresent();
        // the image is not handed out any more, and the agent's later reports are refused
        assertThat(get(cache.servedPath(image).orElseThrow(), t.deploy()).statusCode()).isEqualTo(404);
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=writing&bytes=0").statusCode())
                .isEqualTo(409);
    }

    @Test
    void hintsThatMatchSeveralDisksFailTheDeploy() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        DeployRequest vague = new DeployRequest("d1", "web", image.spec(), new RootDeviceHints(null, null, "qemu",
                null, null, null, false));
        agent.prepareDeployBoot(n1, vague);
        agent.openDeployBootWindow(n1);
        Tokens t = tokens(MAC1);
        HttpResponse<String> r = post("/v1/agent/deploys/d1/events", t.deploy(), inventory("disk-1",
                "52:54:00:aa:bb:01", "x"));
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(agent.observe(n1, "d1").message()).startsWith("inventory: several disks match the root device"
                + " hints (vendor=qemu rotational=false): sda, vda; candidates: sda (");
        assertThat(agent.observe(n1, "d1").phase()).isEqualTo(DeployPhase.FAILED);
    }

    @Test
    void aBootMacThatIsNoneOfTheMachinesNicsIsReportedNotIgnored() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t = tokens(MAC1);
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), inventory("disk-1", "52:54:00:00:00:99", "x"))
                .statusCode()).isEqualTo(200);
        DeployProgress p = agent.observe(n1, "d1");
        // an alert: node status shows it and history records it once (NodeEvents)
        assertThat(p.alert()).isEqualTo("boot MAC 52:54:00:aa:bb:01 (Git) is not among the machine's NICs:"
                + " eth0 52:54:00:00:00:99");
        assertThat(p.phase()).isEqualTo(DeployPhase.WAITING);
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
                .anySatisfy(l -> assertThat(l).contains("boot MAC 52:54:00:aa:bb:01 (Git) is not among"));
    }

    @Test
    void aMalformedInventoryIsRefusedAndNotKept() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t = tokens(MAC1);
        HttpResponse<String> r = post("/v1/agent/deploys/d1/events", t.deploy(),
                inventory("disk-1", "52:54:00:aa:bb:01", "x").replace("firmware=uefi", "firmware=coreboot"));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).isEqualTo("bad inventory: firmware must be uefi or bios, not 'coreboot'\n");
        r = post("/v1/agent/deploys/d1/events", t.deploy(),
                inventory("disk-1", "52:54:00:aa:bb:01", "x").replace("memoryBytes=2147483648", "memoryBytes=-1"));
        assertThat(r.body()).isEqualTo("bad inventory: memoryBytes is not a non-negative number: '-1'\n");
        assertThat(agent.inventory("web-0")).isEmpty();
        assertThat(agent.observe(n1, "d1").phase()).isNotEqualTo(DeployPhase.FAILED);
    }

    @Test
    void aWrittenWithAWrongChecksumFailsTheDeploy() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t = tokens(MAC1);
        String bad = "ab".repeat(32);
        HttpResponse<String> r = post("/v1/agent/deploys/d1/events", t.deploy(),
                "phase=written&bytes=" + raw.length + "&sha256=" + bad);
        assertThat(r.statusCode()).isEqualTo(409);
        DeployProgress p = agent.observe(n1, "d1");
        assertThat(p.phase()).isEqualTo(DeployPhase.FAILED);
        assertThat(p.message()).isEqualTo("agent wrote " + bad + ", expected " + TestBytes.sha256(raw));
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=written&bytes=" + raw.length + "&sha256="
                + TestBytes.sha256(raw)).statusCode()).isEqualTo(409);
        assertThat(agent.observe(n1, "d1").phase()).isEqualTo(DeployPhase.FAILED);
    }

    @Test
    void anAgentFailureIsReported() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t = tokens(MAC1);
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=failed&message=no+disk+matches+the+hints")
                .statusCode()).isEqualTo(200);
        assertThat(agent.observe(n1, "d1")).isEqualTo(new DeployProgress(DeployPhase.FAILED, 0, raw.length,
                "agent: no disk matches the hints"));
    }

    @Test
    void anAgentsControlCharactersAreEscapedInLogsAndStatus() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t = tokens(MAC1);
        // %0A would end the log line and forge the next one; ESC sequences would rewrite the terminal
        String forged = "disk+gone%0A12:00:00.000+INFO++AgentService+-+deploy+d1+of+node+web-0:+written%1B%5B2J";
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=failed&message=" + forged).statusCode())
                .isEqualTo(200);

        String escaped = "agent: disk gone\\n12:00:00.000 INFO  AgentService - deploy d1 of node web-0: written"
                + "\\u001b[2J";
        assertThat(agent.observe(n1, "d1").message()).isEqualTo(escaped);
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
                .anySatisfy(l -> assertThat(l).endsWith(escaped))
                .allSatisfy(l -> assertThat(l.chars().filter(Character::isISOControl).count()).as(l).isZero());
    }

    @Test
    void aSupersededDeploysTokensAreRejected() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens old = tokens(MAC1);
        deployTo(n1, "d2");
        String s2 = script(MAC1);
        Tokens fresh = tokensFrom(s2);
        assertThat(s2).contains("plinth.deploy=d2 ");
        assertThat(get("/v1/agent/deploys/d1", old.deploy()).statusCode()).isEqualTo(401);
        assertThat(post("/v1/agent/deploys/d1/events", old.deploy(), "phase=writing&bytes=5").statusCode())
                .isEqualTo(401);
        assertThat(get("/v1/agent/deploys/d2", fresh.deploy()).statusCode()).isEqualTo(200);
        assertThat(agent.observe(n1, "d1").message()).contains("superseded by deploy d2");
        // start is idempotent
        agent.start(n1, deploy("d2"));
        assertThat(get("/v1/agent/deploys/d2", fresh.deploy()).statusCode()).isEqualTo(200);
    }

    @Test
    void theInstalledOsChecksInWithItsOwnToken() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t = tokens(MAC1);
        // before the image is written, a check-in means nothing
        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=web-0").statusCode()).isEqualTo(409);
        post("/v1/agent/deploys/d1/events", t.deploy(), "phase=written&bytes=" + raw.length + "&sha256=" + TestBytes.sha256(raw));
        agent.prepareLocalBoot(n1);

        assertThat(post("/v1/agent/checkin", t.deploy(), "image=web&node=web-0").statusCode()).isEqualTo(401);
        assertThat(post("/v1/agent/checkin", null, "image=web&node=web-0").statusCode()).isEqualTo(401);
        assertThat(agent.checkedIn(n1, "d1")).isFalse();

        woken.clear();
        assertThat(post("/v1/agent/checkin", t.checkin(), "image=db&node=web-0&ip=10.0.2.15").statusCode())
                .isEqualTo(409);
        assertThat(agent.checkedIn(n1, "d1")).isFalse();
        assertThat(agent.observe(n1, "d1").message()).isEqualTo("node checked in running image 'db', expected 'web'");
        assertThat(woken).containsExactly("web-0");

        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=web-0&ip=10.0.2.15").statusCode())
                .isEqualTo(200);
        assertThat(agent.checkedIn(n1, "d1")).isTrue();
        assertThat(woken).containsExactly("web-0", "web-0");

        agent.finish(n1, "d1");
        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=web-0").statusCode()).isEqualTo(401);
        assertThat(agent.checkedIn(n1, "d1")).isTrue();
    }

    /**
     * Issue 8 #12: the state store (and with it the deploy registry) is lost, the machine keeps running and its OS
     * checks in again, sending the deploy id of its config block: the token is checked by HMAC, and the image it
     * names is what the node proved. With the key gone too, nothing can be proven.
     */
    @Test
    void afterTheRegistryIsLostACheckInProvesTheImageByItsTokenAndDeployId() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        NodeTarget n2 = node("web-1", MAC2);
        deployTo(n1, "web-0-1-abc");
        deployTo(n2, "web-1-1-abd");
        Tokens t = tokens(MAC1);
        Tokens other = tokens(MAC2);

        store = new InMemoryStateStore(); // the database deleted; the key file kept
        agent = newAgent();
        woken.clear();
        assertThat(agent.provenImage(n1)).isEmpty();
        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=web-0").statusCode())
                .as("no deploy id: nothing to check the token against").isEqualTo(401);
        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=web-0&deploy=web-1-1-abd").statusCode())
                .as("another deploy's id").isEqualTo(401);
        assertThat(post("/v1/agent/checkin", other.checkin(), "image=web&node=web-0&deploy=web-1-1-abd")
                .statusCode()).as("a valid token of another node's deploy").isEqualTo(401);
        assertThat(agent.provenImage(n1)).isEmpty();
        assertThat(woken).isEmpty();

        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=web-0&deploy=web-0-1-abc&ip=10.0.2.15")
                .statusCode()).isEqualTo(200);
        assertThat(agent.provenImage(n1)).contains("web");
        assertThat(agent.provenImage(n2)).isEmpty();
        assertThat(woken).containsExactly("web-0");

        // the key lost as well: a new one is made, and the old tokens prove nothing
        Files.delete(tmp.resolve("keys/agent.key"));
        store = new InMemoryStateStore();
        agent = newAgent();
        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=web-0&deploy=web-0-1-abc").statusCode())
                .isEqualTo(401);
        assertThat(agent.provenImage(n1)).isEmpty();
    }

    /** Operator mode: the node is namespace/name, its deploy id carries the name escaped (DeployIds). */
    @Test
    void aNamespacedNodeProvesItsImageByItsEscapedDeployId() throws Exception {
        NodeTarget n1 = node("rack-a/web-0", MAC1);
        String id = dev.plinth.core.DeployIds.of("rack-a/web-0", 1, java.time.Instant.parse("2026-12-02T05:00:00Z"));
        deployTo(n1, id);
        Tokens t = tokens(MAC1);

        store = new InMemoryStateStore(); // the registry lost; the key file kept
        agent = newAgent();
        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=rack-a_2fweb-0&deploy=" + id).statusCode())
                .as("the escaped name is not the node's name").isEqualTo(401);
        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=rack-a%2Fweb-0&deploy=" + id).statusCode())
                .isEqualTo(200);
        assertThat(agent.provenImage(n1)).contains("web");
    }

    @Test
    void aRestartedServiceKeepsTheDeployAndItsTokens() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t = tokens(MAC1);
        post("/v1/agent/deploys/d1/events", t.deploy(), "phase=writing&bytes=4096");

        agent.close();
        agent = newAgent();
        assertThat(agent.observe(n1, "d1")).isEqualTo(new DeployProgress(DeployPhase.WRITING, 4096, raw.length,
                "writing"));
        // the claim of this boot is kept too: a second request is still refused
        assertThat(script(MAC1)).isEqualTo(IpxeScripts.REFUSED);
        assertThat(get("/v1/agent/deploys/d1", t.deploy()).statusCode()).isEqualTo(200);
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=written&bytes=" + raw.length + "&sha256="
                + TestBytes.sha256(raw)).statusCode()).isEqualTo(200);
        assertThat(agent.observe(n1, "d1").phase()).isEqualTo(DeployPhase.WRITTEN);

        agent = newAgent();
        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=web-0").statusCode()).isEqualTo(200);
        assertThat(agent.checkedIn(n1, "d1")).isTrue();
        agent.finish(n1, "d1");

        agent = newAgent();
        assertThat(agent.checkedIn(n1, "d1")).isTrue();
        assertThat(agent.observe(n1, "d1").phase()).isEqualTo(DeployPhase.WRITTEN);
        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=web-0").statusCode()).isEqualTo(401);
    }

    /** The ramdisk's HTTP client is busybox wget: the same calls as ramdisk/agent/lib.sh makes them. */
    @Test
    void busyboxWgetSpeaksTheProtocol() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.plinth.testkit.IpmiSimFixture.onPath("busybox"),
                "busybox not installed");
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        Tokens t = tokens(MAC1);
        String instructions = busybox("wget", "-q", "-O", "-", "--header", "Authorization: Bearer " + t.deploy(),
                base + "/v1/agent/deploys/d1");
        assertThat(instructions).contains("\"compression\":\"gz\"");
        String url = instructions.replaceAll("(?s).*\"imageUrl\":\"([^\"]*)\".*", "$1");
        Path img = tmp.resolve("fetched.gz");
        busybox("wget", "-q", "-O", img.toString(), "--header", "Authorization: Bearer " + t.deploy(), url);
        assertThat(Files.readAllBytes(img)).isEqualTo(gz);
        busybox("wget", "-q", "-O", "-", "--header", "Authorization: Bearer " + t.deploy(), "--post-data",
                "phase=writing&bytes=65536&disk=%2Fdev%2Fvda", base + "/v1/agent/deploys/d1/events");
        assertThat(agent.observe(n1, "d1").bytesWritten()).isEqualTo(65536);
        busybox("wget", "-q", "-O", "-", "--header", "Authorization: Bearer " + t.deploy(), "--post-data",
                "phase=written&bytes=" + raw.length + "&sha256=" + TestBytes.sha256(raw), base + "/v1/agent/deploys/d1/events");
        assertThat(agent.observe(n1, "d1").phase()).isEqualTo(DeployPhase.WRITTEN);
        busybox("wget", "-q", "-O", "-", "--header", "Authorization: Bearer " + t.checkin(), "--post-data",
                "image=web&node=web-0&ip=10.0.2.15", base + "/v1/agent/checkin");
        assertThat(agent.checkedIn(n1, "d1")).isTrue();
    }

    private static String busybox(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("busybox"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", args.length > 0 ? args[args.length - 1] : "")).isZero();
        return out;
    }

    @Test
    void theKeyFileIsPrivateAndTokensDependOnIt() throws Exception {
        Path key = tmp.resolve("keys/agent.key");
        assertThat(Files.size(key)).isEqualTo(32);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        AgentTokens a = AgentTokens.fromKeyFile(key);
        AgentTokens b = AgentTokens.fromKeyFile(tmp.resolve("other.key"));
        assertThat(a.deployToken("d1", 1)).isEqualTo(AgentTokens.fromKeyFile(key).deployToken("d1", 1))
                .isNotEqualTo(b.deployToken("d1", 1)).isNotEqualTo(a.checkinToken("d1", 1))
                .isNotEqualTo(a.deployToken("d2", 1)).isNotEqualTo(a.deployToken("d1", 2));
        assertThat(a.toString()).doesNotContain(a.deployToken("d1", 1));
    }

    // --- data ---


    // --- issue 8 #2: one credential per boot, only in the boot window, not replayable ---

    /** A clock the test moves: the boot window is bounded in time. */
    private static final class StepClock extends Clock {
        private volatile java.time.Instant now = java.time.Instant.parse("2026-12-01T10:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return now;
        }
    }

    private List<String> warnings() {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : logs.list) {
            if (e.getLevel() == Level.WARN) {
                out.add(e.getFormattedMessage());
            }
        }
        return out;
    }

    @Test
    void aSecondClaimOfTheDeployScriptInOneBootFailsClosedAndIsASecurityEvent() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        agent.openDeployBootWindow(n1);
        Tokens first = tokens(MAC1);
        woken.clear();

        String again = script(MAC1);
        System.out.println("second claim got:\n" + again);
        assertThat(again).startsWith("#!ipxe\n").doesNotContain("plinth.token").doesNotContain("plinth.checkin")
                .doesNotContain("kernel").doesNotContain(first.deploy()).doesNotContain(first.checkin());
        DeployProgress p = agent.observe(n1, "d1");
        System.out.println("deploy message after the second claim: " + p.message() + " / alert: " + p.alert());
        assertThat(p.alert()).contains("deploy script").contains("asked for again");
        assertThat(woken).contains("web-0");
        assertThat(warnings()).anyMatch(l -> l.contains("web-0") && l.contains("asked for again"));
        // the first claim's credential still works: the real ramdisk may be the one that claimed first
        assertThat(get("/v1/agent/deploys/d1", first.deploy()).statusCode()).isEqualTo(200);
    }

    @Test
    void tokensAreBoundToTheBootThatClaimedThemAndSurviveARestart() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        agent.openDeployBootWindow(n1);
        Tokens boot1 = tokens(MAC1);
        // the ramdisk stayed silent: the lifecycle boots it again, which opens a fresh window
        agent.openDeployBootWindow(n1);
        Tokens boot2 = tokens(MAC1);
        assertThat(boot2.deploy()).isNotEqualTo(boot1.deploy());
        assertThat(boot2.checkin()).isNotEqualTo(boot1.checkin());
        int stale = get("/v1/agent/deploys/d1", boot1.deploy()).statusCode();
        System.out.println("instructions with the tokens of an earlier boot: " + stale);
        assertThat(stale).isEqualTo(401);
        assertThat(post("/v1/agent/deploys/d1/events", boot1.deploy(), "phase=failed&message=x").statusCode())
                .isEqualTo(401);
        assertThat(agent.observe(n1, "d1").phase()).isEqualTo(DeployPhase.WAITING);

        // a restarted controller accepts the tokens of the boot in progress, and still serves nothing again
        agent = newAgent();
        assertThat(get("/v1/agent/deploys/d1", boot2.deploy()).statusCode()).isEqualTo(200);
        assertThat(get("/v1/agent/deploys/d1", boot1.deploy()).statusCode()).isEqualTo(401);
        assertThat(script(MAC1)).doesNotContain("plinth.token");
    }

    @Test
    void theDeployScriptIsServedOnlyInTheBootWindow() throws Exception {
        StepClock clock = new StepClock();
        agent = new AgentService(new AgentService.Config(base, tmp.resolve("vmlinuz"), tmp.resolve("initramfs.cpio.gz"),
                "console=ttyS0", woken::add, cache, store, tmp.resolve("keys/agent.key"), Duration.ofMinutes(10), null),
                clock);
        Router r = Router.router(vertx);
        cache.mount(r, agent::mayFetchImage);
        agent.mount(r);
        router = r;
        NodeTarget n1 = node("web-0", MAC1);
        agent.start(n1, deploy("d1"));
        agent.prepareDeployBoot(n1, deploy("d1"));

        String before = script(MAC1);
        System.out.println("pending deploy, no boot window open yet:\n" + before);
        assertThat(before).isEqualTo(AgentService.LOCAL_BOOT);
        agent.openDeployBootWindow(n1);
        clock.advance(Duration.ofMinutes(11));
        String late = script(MAC1);
        System.out.println("11 minutes after the window opened:\n" + late);
        assertThat(late).isEqualTo(AgentService.LOCAL_BOOT);
        assertThat(warnings()).noneMatch(l -> l.contains("asked for again"));

        agent.openDeployBootWindow(n1);
        clock.advance(Duration.ofMinutes(9));
        assertThat(tokensFrom(script(MAC1)).deploy()).matches("[0-9a-f]{64}");
    }

    @Test
    void theCheckinTokenWorksOnceAndTheDeployTokenEndsWithTheDeploy() throws Exception {
        NodeTarget n1 = node("web-0", MAC1);
        deployTo(n1, "d1");
        agent.openDeployBootWindow(n1);
        Tokens t = tokens(MAC1);
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=written&bytes=" + raw.length
                + "&sha256=" + TestBytes.sha256(raw)).statusCode()).isEqualTo(200);
        // the deploy token is spent once the deploy is written
        assertThat(get("/v1/agent/deploys/d1", t.deploy()).statusCode()).isEqualTo(409);
        assertThat(post("/v1/agent/deploys/d1/events", t.deploy(), "phase=failed&message=x").statusCode())
                .isEqualTo(409);

        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=web-0&ip=10.0.0.5").statusCode())
                .isEqualTo(200);
        String message = agent.observe(n1, "d1").message();
        int second = post("/v1/agent/checkin", t.checkin(), "image=other&node=web-0&ip=10.6.6.6").statusCode();
        System.out.println("second check-in with the same token: " + second + "; message now: "
                + agent.observe(n1, "d1").message());
        assertThat(second).isIn(401, 409);
        assertThat(agent.observe(n1, "d1").message()).isEqualTo(message);
        assertThat(agent.checkedIn(n1, "d1")).isTrue();

        agent.finish(n1, "d1");
        assertThat(get("/v1/agent/deploys/d1", t.deploy()).statusCode()).isEqualTo(401);
        assertThat(post("/v1/agent/checkin", t.checkin(), "image=web&node=web-0").statusCode()).isEqualTo(401);
    }
}
