package dev.plinth.agent;

import dev.plinth.testkit.TestBytes;


import dev.plinth.engine.EngineConfig;
import dev.plinth.engine.NodeController;
import dev.plinth.engine.NodeListener;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.api.Compression;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.ImageFormat;
import dev.plinth.api.ObjectMeta;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.PowerDriver;
import dev.plinth.driver.PowerState;
import dev.plinth.engine.EngineConfig;
import dev.plinth.engine.NodeController;
import dev.plinth.engine.NodeListener;
import dev.plinth.image.ImageCache;
import dev.plinth.testkit.InMemoryStateStore;
import dev.plinth.testkit.Fixtures;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine with the image cache and the agent service as its boot and deploy drivers, over real HTTP. The
 * machines are simulated by a power driver: a power-on network-boots (asks for its iPXE script) and then either
 * runs the deploy agent's part of the protocol (instructions, image download, events) or boots the written disk
 * and checks in with the token from its config block.
 */
class EngineWithAgentTest {
    private static final LifecycleConfig FAST = new LifecycleConfig(3, Duration.ofMillis(20),
            Duration.ofMillis(100), Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(20),
            Duration.ofSeconds(20), Duration.ofSeconds(60), Duration.ofMillis(50));

    @TempDir Path tmp;

    private Vertx vertx;
    private String base;
    private ImageCache cache;
    private AgentService agent;
    private NodeController controller;
    private Machines machines;
    private DiskImage image;
    private final byte[] raw = new byte[512 * 1024];
    private InMemoryStateStore store;

    @BeforeEach
    void setUp() throws Exception {
        new Random(3).nextBytes(raw);
        Path src = tmp.resolve("os.raw.gz");
        Files.write(src, TestBytes.gzip(raw));
        image = new DiskImage(ObjectMeta.named("os"), new DiskImageSpec(src.toUri().toString(),
                "sha256:" + TestBytes.sha256(raw), ImageFormat.RAW, Compression.GZ));

        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        var server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(router).listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + server.actualPort();
        Files.writeString(tmp.resolve("vmlinuz"), "k");
        Files.writeString(tmp.resolve("initramfs.cpio.gz"), "i");

        store = new InMemoryStateStore();
        cache = new ImageCache(tmp.resolve("images"), 2, Duration.ofMinutes(10), Clock.systemUTC())
                .allowFilesFrom(List.of(tmp), tmp.resolve("state"));
        AtomicReference<NodeController> engine = new AtomicReference<>();
        agent = new AgentService(new AgentService.Config(base, tmp.resolve("vmlinuz"), tmp.resolve("initramfs.cpio.gz"),
                "console=ttyS0", node -> engine.get().wake(node), cache, store, tmp.resolve("agent.key")));
        cache.mount(router, agent::mayFetchImage);
        agent.mount(router);
        machines = new Machines();
        controller = new NodeController(new NodeLifecycle(FAST), new Drivers(machines, agent, agent),
                name -> Optional.of(new BmcCredentials("admin", "pw")), cache, store, Clock.systemUTC(),
                new EngineConfig(4, 32, Duration.ofSeconds(1)), NodeListener.NONE);
        engine.set(controller);
        cache.setListener(controller::wakeUsersOf);
    }

    @AfterEach
    void tearDown() throws Exception {
        controller.close();
        machines.close();
        cache.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private DesiredState fleet(int n) {
        List<dev.plinth.api.Resource> resources = new ArrayList<>();
        resources.add(image);
        for (int i = 0; i < n; i++) {
            resources.add(Fixtures.node("node-" + i, i, "os", true));
        }
        return DesiredState.of("r1", resources);
    }

    private void apply(DesiredState desired) {
        cache.setImages(desired.images().values());
        controller.setDesired(desired);
    }

    @Test
    void nodesAreProvisionedThroughTheAgentProtocol() {
        apply(fleet(3));
        controller.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> controller.records().size() == 3
                && controller.records().stream().allMatch(r -> r.state() == ProvisioningState.PROVISIONED));
        for (NodeRecord r : controller.records()) {
            assertThat(r.image().name()).isEqualTo("os");
            Machine m = machines.get(r.name());
            assertThat(m.disk).isEqualTo(raw);
            assertThat(m.checkIns).isEqualTo(1);
            // the hardware its ramdisk reported, kept for the node
            assertThat(agent.inventory(r.name()).orElseThrow().nics()).extracting(Inventory.Nic::mac)
                    .containsExactly(m.mac.toLowerCase(java.util.Locale.ROOT));
            assertThat(agent.checkedIn(null, r.deploy().id())).isTrue();
            // the deploy is closed: its script is gone, its tokens are spent
            assertThat(agent.script(AgentService.normalizeMac(r.bootMACAddress()))).isEqualTo(AgentService.LOCAL_BOOT);
        }
    }

    @Test
    void aCorruptWriteFailsTheNodeWithTheAgentsChecksum() throws Exception {
        machines.corrupt.add("node-1");
        apply(fleet(2));
        controller.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> controller.record("node-1")
                .map(r -> r.state() == ProvisioningState.ERROR).orElse(false)
                && controller.record("node-0").map(r -> r.state() == ProvisioningState.PROVISIONED).orElse(false));
        NodeRecord bad = controller.record("node-1").orElseThrow();
        assertThat(bad.error().kind()).isEqualTo(FailureKind.DEPLOY_FAILED);
        assertThat(bad.error().message()).contains("agent wrote ").contains("expected " + TestBytes.sha256(raw));
        assertThat(machines.get("node-1").checkIns).isZero();
    }

    @Test
    void aBootMacThatIsNoneOfTheMachinesNicsIsAnEventOnTheNodeAndTheDeployGoesOn() {
        machines.otherNic.add("node-1");
        apply(fleet(2));
        controller.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> controller.records().size() == 2
                && controller.records().stream().allMatch(r -> r.state() == ProvisioningState.PROVISIONED));
        String mac = AgentService.normalizeMac(controller.record("node-1").orElseThrow().bootMACAddress());
        assertThat(store.events("node-1", 50)).extracting(dev.plinth.store.NodeEvent::message)
                .filteredOn(msg -> msg.contains("boot MAC")).singleElement().asString()
                .contains("boot MAC " + mac + " (Git) is not among the machine's NICs: eth0 02:00:00:00:00:99");
        assertThat(store.events("node-0", 50)).extracting(dev.plinth.store.NodeEvent::message)
                .noneMatch(msg -> msg.contains("boot MAC"));
    }

    @Test
    void aMachineWithNoDiskTheHintsAcceptFailsTheNodeBeforeAnythingIsWritten() {
        machines.onlyRemovableDisk.add("node-1");
        apply(fleet(2));
        controller.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> controller.record("node-1")
                .map(r -> r.state() == ProvisioningState.ERROR).orElse(false)
                && controller.record("node-0").map(r -> r.state() == ProvisioningState.PROVISIONED).orElse(false));
        NodeRecord bad = controller.record("node-1").orElseThrow();
        assertThat(bad.error().kind()).isEqualTo(FailureKind.DEPLOY_FAILED);
        assertThat(bad.error().message()).contains("inventory: no disk matches the root device hints (none);"
                + " candidates: none");
        assertThat(machines.get("node-1").disk).isNull();
    }

    // --- simulated machines ---

    private static final class Machine {
        final String name;
        final String mac;
        volatile PowerState power = PowerState.OFF;
        volatile BootDevice bootDevice = BootDevice.DISK;
        volatile byte[] disk;
        /** The config block the agent writes at the end of the disk. */
        volatile String checkinToken;
        volatile String writtenImage;
        volatile int checkIns;

        Machine(String name, String mac) {
            this.name = name;
            this.mac = mac;
        }
    }

    /** A power driver whose power-on boots a simulated machine: iPXE, then the agent or the installed OS. */
    private final class Machines implements PowerDriver, AutoCloseable {
        final Map<String, Machine> all = new ConcurrentHashMap<>();
        final Set<String> corrupt = ConcurrentHashMap.newKeySet();
        /** Machines whose one NIC is not the boot MAC in Git. */
        final Set<String> otherNic = ConcurrentHashMap.newKeySet();
        /** Machines whose only disk is removable: none the agent may write. */
        final Set<String> onlyRemovableDisk = ConcurrentHashMap.newKeySet();
        final ExecutorService boots = Executors.newCachedThreadPool();
        final HttpClient http = HttpClient.newHttpClient();

        Machine get(String name) {
            return all.get(name);
        }

        private Machine machine(NodeTarget node) {
            return all.computeIfAbsent(node.name(), n -> new Machine(n, node.bootMACAddress()));
        }

        @Override
        public PowerState powerState(NodeTarget node) {
            return machine(node).power;
        }

        @Override
        public void powerOn(NodeTarget node) {
            Machine m = machine(node);
            if (m.power != PowerState.ON) {
                m.power = PowerState.ON;
                boots.submit(() -> boot(m));
            }
        }

        @Override
        public void powerOff(NodeTarget node) {
            machine(node).power = PowerState.OFF;
        }

        @Override
        public void reboot(NodeTarget node) {
            Machine m = machine(node);
            m.power = PowerState.ON;
            boots.submit(() -> boot(m));
        }

        @Override
        public void setBootDevice(NodeTarget node, BootDevice device, boolean persistent) {
            machine(node).bootDevice = device;
        }

        @Override
        public Optional<BootDevice> bootDevice(NodeTarget node) {
            return Optional.of(machine(node).bootDevice);
        }

        private void boot(Machine m) {
            try {
                if (m.bootDevice == BootDevice.PXE) {
                    String mac = URLEncoder.encode(m.mac, StandardCharsets.UTF_8); // as iPXE does: %3A
                    String script = send(get(base + "/v1/boot/" + mac + ".ipxe", null)).body();
                    if (script.contains("plinth.token=")) {
                        runAgent(m, script);
                        return;
                    }
                }
                bootDisk(m);
            } catch (Exception e) {
                throw new IllegalStateException(m.name + ": " + e, e);
            }
        }

        private void runAgent(Machine m, String script) throws Exception {
            String api = param(script, "plinth.api");
            String id = param(script, "plinth.deploy");
            String token = param(script, "plinth.token");
            String instr = send(get(api + "/v1/agent/deploys/" + id, token)).body();
            String url = jsonField(instr, "imageUrl");
            String sha = jsonField(instr, "sha256");
            post(api + "/v1/agent/deploys/" + id + "/events", token, "phase=booted&ip=10.0.2.15&interface=eth0");
            String nic = otherNic.contains(m.name) ? "02:00:00:00:00:99" : m.mac.toLowerCase(java.util.Locale.ROOT);
            HttpResponse<String> inv = post(api + "/v1/agent/deploys/" + id + "/events", token,
                    "phase=inventory&cpus=1&cpuModel=&memoryBytes=536870912&firmware=bios&disk.0.name=vda"
                            + "&disk.0.sizeBytes=4294967296&disk.0.removable="
                            + (onlyRemovableDisk.contains(m.name) ? 1 : 0) + "&disk.0.readOnly=0&nic.0.name=eth0"
                            + "&nic.0.mac=" + nic + "&nic.0.link=up");
            if (inv.statusCode() == 409) {
                post(api + "/v1/agent/deploys/" + id + "/events", token, "phase=failed&message=refused");
                m.power = PowerState.OFF;
                return; // as the agent does: stopped before anything is written
            }
            HttpResponse<InputStream> img = http.send(HttpRequest.newBuilder(URI.create(url))
                            .header("Authorization", "Bearer " + token).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            byte[] written;
            try (InputStream in = new GZIPInputStream(img.body())) {
                written = in.readAllBytes();
            }
            post(api + "/v1/agent/deploys/" + id + "/events", token, "phase=writing&bytes=0&disk=%2Fdev%2Fvda");
            if (corrupt.contains(m.name)) {
                written[100] ^= 1;
            }
            m.disk = written;
            m.checkinToken = param(script, "plinth.checkin");
            m.writtenImage = image.name();
            String readBack = TestBytes.sha256(written);
            if (!corrupt.contains(m.name)) {
                assertThat(readBack).isEqualTo(sha);
            }
            post(api + "/v1/agent/deploys/" + id + "/events", token,
                    "phase=written&bytes=" + written.length + "&sha256=" + readBack + "&disk=%2Fdev%2Fvda");
            m.power = PowerState.OFF; // poweroff -f
        }

        private void bootDisk(Machine m) throws Exception {
            if (m.disk == null || m.checkinToken == null) {
                return;
            }
            HttpResponse<String> r = post(base + "/v1/agent/checkin", m.checkinToken,
                    "image=" + m.writtenImage + "&node=" + m.name + "&ip=10.0.2.15");
            if (r.statusCode() == 200) {
                m.checkIns++;
            }
        }

        private HttpRequest get(String url, String token) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            return b.build();
        }

        private HttpResponse<String> post(String url, String token, String form) throws Exception {
            return send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build());
        }

        private HttpResponse<String> send(HttpRequest r) throws Exception {
            return http.send(r, HttpResponse.BodyHandlers.ofString());
        }

        @Override
        public void close() {
            boots.shutdownNow();
        }
    }

    private static String param(String script, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + "=(\\S+)").matcher(script);
        assertThat(m.find()).as(name).isTrue();
        return m.group(1);
    }

    /** As primitive as the agent's own parsing. */
    private static String jsonField(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        assertThat(m.find()).as(name + " in " + json).isTrue();
        return m.group(1);
    }
}
