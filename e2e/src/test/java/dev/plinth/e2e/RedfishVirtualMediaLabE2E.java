package dev.plinth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.engine.NodeListener;
import dev.plinth.http.server.HttpLimits;
import dev.plinth.runtime.MetalOptions;
import dev.plinth.runtime.Standalone;
import dev.plinth.runtime.StandaloneOptions;
import dev.plinth.runtime.http.HttpOptions;
import dev.plinth.runtime.http.ListenAddress;
import dev.plinth.testkit.GitDaemonFixture;
import dev.plinth.testkit.SushyFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue 9: a QEMU machine managed through Redfish, provisioned end to end by virtual media. The BMC is sushy-emulator
 * with its libvirt driver in front of a libvirt domain (e2e/lab/libvirt.sh); the controller builds each boot's deploy
 * ISO, the BMC downloads it and attaches it as a CD, the machine boots it, the ramdisk takes the node's static
 * deploy address (QEMU's user network, where the controller is 10.0.2.2), writes and verifies the image, the CD is
 * ejected, the disk boots and the written OS checks in with the same static address. No DHCP, TFTP or PXE: the
 * machine's NIC has no boot ROM, both addresses are static (not the one QEMU's DHCP would give), and the controller
 * serves no iPXE script. Then the node leaves Git: its disk is wiped through the same virtual media path.
 *
 * <p>Runs in the network namespace libvirtd runs in (the host's, with libvirt.sh's daemons), so it is the
 * {@code redfish-lab} surefire execution, not the {@code lab} one whose JVM is inside the IPMI lab's namespace.
 * Skips, saying why, without root or libvirt; under {@code CI=true} as root a libvirt that cannot run fails it.
 */
class RedfishVirtualMediaLabE2E {
    private static final Duration DEPLOY = Duration.ofMinutes(12);
    private static final int VM = 1;
    /** Not 10.0.2.15, which QEMU's DHCP hands out first: this address can only come from the deploy network. */
    private static final String STATIC = "10.0.2.77";

    @TempDir
    Path dir;
    private GitDaemonFixture git;
    private LibvirtBmc bmc;
    private Standalone plinth;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeAll
    static void libvirt() throws Exception {
        String why = LibvirtLab.unavailable();
        boolean ci = "true".equals(System.getenv("CI"));
        if (why == null) {
            try {
                long t0 = System.nanoTime();
                LibvirtLab.script("up", String.valueOf(VM));
                LibvirtLab.script("reset");
                System.out.printf("libvirt.sh up + reset: %.1f s%n", (System.nanoTime() - t0) / 1e9);
            } catch (Exception e) {
                why = "libvirt.sh up failed: " + e.getMessage();
            }
        }
        // CI runs as root with e2e/lab/install-packages.sh done: there it must run (without root it cannot, anywhere)
        if (why != null && ci && !why.startsWith("needs root")) {
            throw new IllegalStateException("libvirt lab machines cannot run: " + why
                    + " (CI=true: the Redfish virtual media lab test must not be skipped)");
        }
        assumeTrue(why == null, "libvirt lab machines not available: " + why);
    }

    @AfterAll
    static void down() throws Exception {
        if (LibvirtLab.unavailable() == null) {
            LibvirtLab.script("down");
        }
    }

    @AfterEach
    void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger("dev.plinth.agent")).detachAppender(logs);
        if (plinth != null) {
            plinth.close();
        }
        if (bmc != null) {
            bmc.close();
        }
        if (git != null) {
            git.close();
        }
    }

    private static String nodeDoc(String address) throws java.io.IOException {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: rf1, labels: {role: rf}}
                spec:
                  bmc:
                    address: "%s"
                    credentialsName: bmc-rf1
                    bootMethod: virtualMedia
                    deployNetwork: {address: %s/24, gateway: 10.0.2.2}
                  bootMACAddress: "%s"
                  rootDeviceHints: {serialNumber: %s, minSizeGigabytes: 2}
                """.formatted(address, STATIC, LibvirtLab.vmEnv(VM).getProperty("VM_MAC"), diskSerial());
    }

    /** The serial libvirt.sh gives the machine's disk. */
    private static String diskSerial() throws java.io.IOException {
        return LibvirtLab.vmEnv(VM).getProperty("VM_NAME") + "-disk";
    }

    private static Map<String, String> fleet(Lab.Image image, String node) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("fleet/images.yaml", """
                apiVersion: plinth.dev/v1alpha1
                kind: DiskImage
                metadata: {name: %s}
                spec: {url: "%s", checksum: "sha256:%s", compression: gz}
                """.formatted(image.name(), image.url("gz"), image.sha256()));
        files.put("fleet/nodes.yaml", node);
        {
            // the written OS must check in before the node counts as deployed: the controller itself sees it
            files.put("fleet/cloud.yaml", """
                    apiVersion: plinth.dev/v1alpha1
                    kind: Cloud
                    metadata: {name: rf}
                    spec:
                      roles:
                        - name: rf
                          count: 1
                          nodeSelector: {matchLabels: {role: rf}}
                          image: {name: %s}
                          healthCheck: {checkIn: true, timeoutSeconds: 600}
                    """.formatted(image.name()));
        }
        return files;
    }

    private List<String> logged(String part) {
        return logs.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(part)).toList();
    }

    @Test
    void provisionedByVirtualMediaWithoutDhcpOrTftpThenWipedTheSameWay() throws Exception {
        Lab.Image alpha = Lab.image("alpha");
        Properties vm = LibvirtLab.vmEnv(VM);
        String uuid = vm.getProperty("VM_UUID");
        logs.start();
        Logger agentLog = (Logger) LoggerFactory.getLogger("dev.plinth.agent");
        agentLog.setLevel(Level.INFO);
        agentLog.addAppender(logs);

        long t0 = System.nanoTime();
        bmc = LibvirtBmc.start(List.of(uuid));
        assertThat(bmc.get("/redfish/v1/Systems/" + uuid).path("PowerState").asText()).isEqualTo("Off");
        Files.writeString(dir.resolve("secrets.yaml"), "bmc-rf1: {username: " + LibvirtBmc.USER + ", password: \""
                + bmc.password() + "\"}\n");
        Files.setPosixFilePermissions(dir.resolve("secrets.yaml"), PosixFilePermissions.fromString("rw-------"));
        git = GitDaemonFixture.start();
        String c1 = git.commit(fleet(alpha, nodeDoc(bmc.address(uuid))), "rf1 on alpha, by virtual media");

        // the controller in libvirtd's namespace: the guest sees its loopback as 10.0.2.2, the BMC (sushy-emulator,
        // on the same host) fetches the ISO from 127.0.0.1
        int plain = SushyFixture.freeTcpPort();
        int tls = SushyFixture.freeTcpPort();
        plinth = new Standalone(new StandaloneOptions(git.url(), "main", "fleet", Duration.ofHours(1),
                dir.resolve("state"), dir.resolve("secrets.yaml"), "ipmi", FakeDriverConfig.INSTANT, false,
                new HttpOptions(ListenAddress.loopback(0), ListenAddress.loopback(plain), ListenAddress.loopback(tls),
                        null, HttpLimits.DEFAULT),
                4, null, false, LifecycleConfig.DEFAULT,
                new MetalOptions("http://10.0.2.2:" + plain, Lab.DIR.resolve("ramdisk/vmlinuz"),
                        Lab.DIR.resolve("ramdisk/initramfs.cpio.gz"), "console=ttyS0",
                        List.of(Lab.DIR.resolve("images")), null, "http://127.0.0.1:" + plain)),
                NodeListener.NONE);
        Api api = new Api(plinth.apiPort());

        // 1. ISO -> ramdisk (static address) -> written, verified -> CD ejected -> disk boot -> check-in
        await().atMost(DEPLOY).pollInterval(Duration.ofSeconds(2)).until(() -> api.convergedOn(c1));
        long deployed = System.nanoTime();
        JsonNode node = api.json("/api/v1/nodes/rf1");
        System.out.printf("rf1 provisioned by virtual media in %.1f s (controller start to converged, check-in"
                + " included); step timings (ms): %s inside the ramdisk (ms): %s total %s%n",
                (deployed - t0) / 1e9, node.path("stepMillis"), node.path("deployPhaseMillis"),
                node.path("lastOperationMillis"));
        assertThat(node.path("state").asText()).isEqualTo("PROVISIONED");
        assertThat(node.path("image").asText()).isEqualTo("alpha");
        assertThat(node.path("bootDevice").asText()).isEqualTo("DISK");
        assertThat(Lab.diskSha256(LibvirtLab.disk(VM), alpha.size())).as("disk of rf1").isEqualTo(alpha.sha256());

        String serial = LibvirtLab.serialLog(VM);
        // the deploy ISO booted (SeaBIOS from the CD), the ramdisk took the static address, then the disk booted
        assertThat(serial).contains("Booting from DVD/CD").contains("Booting from Hard Disk")
                .containsPattern("plinth-agent: network: \\S+ " + STATIC.replace(".", "\\.") + " ")
                .contains("PLINTH-IMAGE=alpha")
                .containsPattern("PLINTH-NET=static " + STATIC.replace(".", "\\.") + "/24 via 10\\.0\\.2\\.2\r?\n")
                .contains("PLINTH-CHECKIN=ok")
                // no network boot ROM ran, and QEMU's DHCP address was never taken
                .doesNotContain("iPXE").doesNotContain("10.0.2.15");
        assertThat(logged("deploy ISO of deploy")).as("ISOs built").isNotEmpty();
        assertThat(logged("serving the deploy script")).as("iPXE scripts served").isEmpty();

        // what QEMU runs with (libvirt's live domain) is what the ramdisk's inspection found
        LibvirtLab.Domain domain = LibvirtLab.domain(VM);
        assertThat(domain.xml()).contains("<interface type='user'>").contains("<rom enabled='no'/>");
        assertThat(domain.xml().split("<interface ", -1)).as("one NIC, user-mode").hasSize(2);
        assertThat(domain.mac()).isEqualTo(vm.getProperty("VM_MAC"));
        assertThat(domain.diskSerial()).isEqualTo(diskSerial());
        assertThat(domain.memoryBytes()).isEqualTo(Long.parseLong(vm.getProperty("VM_MEM")) << 20);
        Lab.assertInventory("rf1", node.path("inventory"), domain.memoryBytes(), LibvirtLab.diskVirtualSize(VM),
                domain.diskSerial(), domain.mac());

        // the BMC's view: on, booting its disk, no CD
        assertThat(domain.hasCdrom()).as("CD ejected").isFalse();
        assertThat(LibvirtLab.state(VM)).isEqualTo("running");
        JsonNode system = bmc.get("/redfish/v1/Systems/" + uuid);
        assertThat(system.path("PowerState").asText()).isEqualTo("On");
        assertThat(system.path("Boot").path("BootSourceOverrideTarget").asText()).isEqualTo("Hdd");
        JsonNode cd = bmc.get("/redfish/v1/Systems/" + uuid + "/VirtualMedia/Cd");
        assertThat(cd.path("Image").asText("")).isEmpty();
        assertThat(bmc.log()).contains("/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia")
                .contains("/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia");

        // 2. rf1 leaves Git: wiped through a second ISO, powered off, forgotten
        int isos = logged("deploy ISO of deploy").size();
        String c2 = git.delete("main", "rf1 leaves", "fleet/nodes.yaml", "fleet/cloud.yaml");
        api.post("/api/v1/webhook/git", "{}", Map.of());
        await().atMost(DEPLOY).pollInterval(Duration.ofSeconds(2)).until(() -> api.convergedOn(c2));
        // the revision is in force at once; the node is forgotten only once wiped and powered off
        await().atMost(DEPLOY).pollInterval(Duration.ofSeconds(2))
                .until(() -> api.get("/api/v1/nodes/rf1").statusCode() == 404);
        System.out.printf("rf1 wiped by virtual media and released in %.1f s%n", (System.nanoTime() - deployed) / 1e9);
        assertThat(logged("deploy ISO of deploy").size()).as("an ISO for the wipe").isGreaterThan(isos);
        assertThat(Lab.diskSha256(LibvirtLab.disk(VM), 1 << 20)).as("first MiB of rf1's disk")
                .isEqualTo(Lab.sha256OfZeros(1 << 20));
        assertThat(LibvirtLab.state(VM)).isEqualTo("shut off");
        assertThat(LibvirtLab.domain(VM).hasCdrom()).as("CD ejected after the wipe").isFalse();
        assertThat(logged("serving the deploy script")).isEmpty();
        System.out.printf("whole test %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
}
