package dev.plinth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.engine.NodeListener;
import dev.plinth.runtime.MetalOptions;
import dev.plinth.runtime.Standalone;
import dev.plinth.runtime.StandaloneOptions;
import dev.plinth.http.server.HttpLimits;
import dev.plinth.runtime.http.HttpOptions;
import dev.plinth.runtime.http.ListenAddress;
import dev.plinth.testkit.GitDaemonFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real metal, virtually: two QEMU machines (software emulation) with ipmi_sim BMCs, netbooting through iPXE into
 * the deploy ramdisk, provisioned by the controller from a real Git server. Runs inside the lab's network
 * namespace (e2e/lab/jvm/bin/java); skips with the reason where the lab cannot run.
 */
class ProvisioningLabE2E {
    private static final Duration DEPLOY = Duration.ofMinutes(8);

    @TempDir
    Path dir;
    private GitDaemonFixture git;
    private Standalone plinth;

    @BeforeAll
    static void inLab() throws Exception {
        assumeTrue(Lab.unavailable() == null, Lab.unavailable());
        Lab.fresh(); // the lab comes down when the JVM exits (other lab classes share it)
    }

    @AfterEach
    void stop() {
        if (plinth != null) {
            plinth.close();
        }
        if (git != null) {
            git.close();
        }
    }

    private static String imageDoc(String name, Lab.Image image, String compression, String checksum) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: DiskImage
                metadata: {name: %s}
                spec: {url: "%s", checksum: "sha256:%s", compression: %s}
                """.formatted(name, image.url(compression), checksum, compression);
    }

    private static String nodeDoc(int vm, String image) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: vm%d}
                spec:
                  bmc: {address: "ipmi://127.0.0.1:%d", credentialsName: bmc-vm%d}
                  bootMACAddress: "%s"
                  image: {name: %s}
                  rootDeviceHints: {deviceName: /dev/vda, serialNumber: plinth-vm%d-disk, minSizeGigabytes: 1}
                """.formatted(vm, Lab.bmcPort(vm), vm, Lab.mac(vm), image, vm);
    }

    private Map<String, String> fleet(String images, String... nodes) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("fleet/images.yaml", images);
        files.put("fleet/nodes.yaml", String.join("---\n", nodes));
        return files;
    }

    @Test
    void provisionReprovisionRejectABadChecksumAndDeprovision() throws Exception {
        Lab.Image alpha = Lab.image("alpha");
        Lab.Image beta = Lab.image("beta");
        String images = imageDoc("alpha", alpha, "gz", alpha.sha256()) + "---\n"
                + imageDoc("beta", beta, "xz", beta.sha256());
        Files.writeString(dir.resolve("secrets.yaml"), "bmc-vm1: {username: admin, password: \"" + Lab.bmcPassword(1)
                + "\"}\nbmc-vm2: {username: admin, password: \"" + Lab.bmcPassword(2) + "\"}\n");
        Files.setPosixFilePermissions(dir.resolve("secrets.yaml"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

        git = GitDaemonFixture.start();
        String c1 = git.commit(fleet(images, nodeDoc(1, "alpha"), nodeDoc(2, "alpha")), "two machines on alpha");
        plinth = new Standalone(new StandaloneOptions(git.url(), "main", "fleet", Duration.ofHours(1),
                dir.resolve("state"), dir.resolve("secrets.yaml"), "ipmi", FakeDriverConfig.INSTANT, false,
                // the guests reach 127.0.0.1:8080 in the lab's namespace as 10.0.2.2:8080
                new HttpOptions(ListenAddress.loopback(0), ListenAddress.loopback(8080), ListenAddress.loopback(8443), null,
                        HttpLimits.DEFAULT),
                8, null, false, LifecycleConfig.DEFAULT,
                new MetalOptions("http://10.0.2.2:8080", Lab.DIR.resolve("ramdisk/vmlinuz"),
                        Lab.DIR.resolve("ramdisk/initramfs.cpio.gz"), "console=ttyS0",
                        List.of(Lab.DIR.resolve("images")))), NodeListener.NONE);
        Api api = new Api(plinth.apiPort());

        // 1. both machines: PXE, ramdisk, written, verified, disk boot, check-in
        await().atMost(DEPLOY).pollInterval(Duration.ofSeconds(2)).until(() -> api.convergedOn(c1));
        for (int vm = 1; vm <= 2; vm++) {
            assertThat(Lab.diskSha256(vm, alpha.size())).as("disk of vm%d", vm).isEqualTo(alpha.sha256());
            // the agent and the installed OS both spoke HTTPS, verified against the controller CA (issue 8 #2)
            assertThat(Lab.serialLog(vm)).contains("PLINTH-IMAGE=alpha")
                    .contains("HTTPS to https://plinth-controller:8443, verified against the controller CA")
                    .contains("PLINTH-CONFIG=found on /dev/vda node=vm" + vm + " api=https://plinth-controller:8443")
                    .contains("PLINTH-CHECKIN=ok");
            JsonNode node = api.json("/api/v1/nodes/vm" + vm);
            assertThat(node.path("image").asText()).isEqualTo("alpha");
            assertThat(node.path("bootDevice").asText()).isEqualTo("DISK");
            assertThat(Lab.ipmitoolPower(vm)).isEqualTo("on");
            Lab.assertInventoryIsWhatQemuWasStartedWith(vm, node.path("inventory"));
            System.out.println("vm" + vm + " alpha step timings (ms): " + node.path("stepMillis")
                    + " inside the ramdisk (ms): " + node.path("deployPhaseMillis")
                    + " total " + node.path("lastOperationMillis"));
        }

        // 2. a new image: both reprovisioned
        String c2 = git.commit(fleet(images, nodeDoc(1, "beta"), nodeDoc(2, "beta")), "beta everywhere");
        api.post("/api/v1/webhook/git", "{}", Map.of());
        await().atMost(DEPLOY).pollInterval(Duration.ofSeconds(2)).until(() -> api.convergedOn(c2));
        for (int vm = 1; vm <= 2; vm++) {
            assertThat(Lab.diskSha256(vm, beta.size())).as("disk of vm%d", vm).isEqualTo(beta.sha256());
            assertThat(api.json("/api/v1/nodes/vm" + vm).path("image").asText()).isEqualTo("beta");
        }

        // 3. a wrong checksum: the image fails verification, vm2 never goes to it, the error is visible
        String wrong = "0".repeat(64);
        String c3 = git.commit(fleet(images + "---\n" + imageDoc("gamma", alpha, "gz", wrong), nodeDoc(1, "beta"),
                nodeDoc(2, "gamma")), "vm2 on gamma (wrong checksum)");
        api.post("/api/v1/webhook/git", "{}", Map.of());
        await().atMost(Duration.ofMinutes(2)).until(() -> {
            for (JsonNode image : api.json("/api/v1/images")) {
                if (image.path("name").asText().equals("gamma")) {
                    return image.path("availability").asText().equals("FAILED");
                }
            }
            return false;
        });
        JsonNode gamma = null;
        for (JsonNode image : api.json("/api/v1/images")) {
            if (image.path("name").asText().equals("gamma")) {
                gamma = image;
            }
        }
        // status names the wanted checksum, never what the fetched bytes hash to (the log has that)
        assertThat(gamma.path("message").asText()).contains("does not match its checksum sha256:" + wrong)
                .doesNotContain(alpha.sha256());
        await().atMost(Duration.ofSeconds(30)).until(() ->
                api.json("/api/v1/nodes/vm2").path("message").asText().contains("gamma"));
        JsonNode vm2 = api.json("/api/v1/nodes/vm2");
        assertThat(vm2.path("state").asText()).isEqualTo("PROVISIONED");
        assertThat(vm2.path("image").asText()).isEqualTo("beta");
        assertThat(api.json("/api/v1/revisions").path("inForce").path("revision").asText()).isEqualTo(c3);

        // 4. vm1 leaves Git: powered off and forgotten
        String c4 = git.commit(fleet(images, nodeDoc(2, "beta")), "vm1 leaves");
        api.post("/api/v1/webhook/git", "{}", Map.of());
        await().atMost(Duration.ofMinutes(2)).until(() -> api.convergedOn(c4));
        assertThat(api.get("/api/v1/nodes/vm1").statusCode()).isEqualTo(404);
        assertThat(Lab.ipmitoolPower(1)).isEqualTo("off");
        assertThat(Lab.ipmitoolPower(2)).isEqualTo("on");
    }
}
