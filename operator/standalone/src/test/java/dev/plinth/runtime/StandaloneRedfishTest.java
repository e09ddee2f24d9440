package dev.plinth.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.plinth.core.LifecycleConfig;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.engine.NodeListener;
import dev.plinth.runtime.http.HttpOptions;
import dev.plinth.testkit.SushyFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone controller as {@code plinth run --driver ipmi --bmc-ca-file} wires it, with a Git fleet of Redfish
 * nodes on two sushy-emulators over https: a BMC whose certificate is in the CA file and one exempted by its spec
 * register; one whose certificate nobody trusts ends in ERROR saying so.
 */
class StandaloneRedfishTest {
    @TempDir Path dir;

    private static String node(String name, String address, boolean insecure, int mac, String secret) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: %s}
                spec:
                  bmc: {address: "%s", credentialsName: %s, disableCertificateVerification: %s}
                  bootMACAddress: "52:54:00:00:01:%02x"
                  online: true
                ---
                """.formatted(name, address, secret, insecure, mac);
    }

    @Test
    void redfishNodesRegisterThroughTheRealMachineWiring() throws Exception {
        try (SushyFixture trusted = SushyFixture.start(SushyFixture.Options.plain().withHttps());
                SushyFixture stranger = SushyFixture.start(SushyFixture.Options.plain().withHttps());
                LocalGitRepo repo = LocalGitRepo.init(dir.resolve("repo"))) {
            repo.write("fleet/nodes.yaml", node("rf-verified", trusted.address(SushyFixture.SYSTEM_1), false, 1, "bmc-a")
                    + node("rf-exempt", stranger.address(SushyFixture.SYSTEM_1), true, 2, "bmc-b")
                    + node("rf-untrusted", stranger.address(SushyFixture.SYSTEM_2), false, 3, "bmc-b"));
            repo.commitAll("three Redfish nodes");
            Path secrets = dir.resolve("secrets.yaml");
            Files.writeString(secrets, "bmc-a: {username: admin, password: " + trusted.password() + "}\n"
                    + "bmc-b: {username: admin, password: " + stranger.password() + "}\n");
            Files.setPosixFilePermissions(secrets, PosixFilePermissions.fromString("rw-------"));
            Files.writeString(dir.resolve("vmlinuz"), "kernel");
            Files.writeString(dir.resolve("initramfs.cpio.gz"), "initramfs");
            StandaloneOptions o = new StandaloneOptions(repo.url(), "main", "fleet", Duration.ofHours(1),
                    dir.resolve("state"), secrets, "ipmi", FakeDriverConfig.INSTANT, false, HttpOptions.loopback(), 2,
                    null, false, LifecycleConfig.DEFAULT, new MetalOptions("http://127.0.0.1:8080",
                            dir.resolve("vmlinuz"), dir.resolve("initramfs.cpio.gz"), "", List.of(),
                            trusted.certificate()));
            try (Standalone plinth = new Standalone(o, NodeListener.NONE)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> plinth.controller().records().size() == 3
                        && plinth.controller().records().stream().allMatch(r -> r.state() == ProvisioningState.AVAILABLE
                        || r.state() == ProvisioningState.ERROR));
                NodeRecord verified = plinth.controller().record("rf-verified").orElseThrow();
                assertThat(verified.state()).isEqualTo(ProvisioningState.AVAILABLE);
                assertThat(verified.power().state()).isIn(PowerState.ON, PowerState.OFF);
                assertThat(plinth.controller().record("rf-exempt").orElseThrow().state())
                        .isEqualTo(ProvisioningState.AVAILABLE);
                NodeRecord untrusted = plinth.controller().record("rf-untrusted").orElseThrow();
                assertThat(untrusted.state()).isEqualTo(ProvisioningState.ERROR);
                assertThat(untrusted.error().kind()).isEqualTo(FailureKind.PROTOCOL);
                assertThat(untrusted.error().message()).contains("certificate is not trusted");

                // the BMC's inventory in the node's API view, read once at registration
                var http = java.net.http.HttpClient.newHttpClient();
                String base = "http://127.0.0.1:" + plinth.apiPort();
                var node = dev.plinth.json.Json.MAPPER.readTree(http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(base + "/api/v1/nodes/rf-verified")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body());
                assertThat(node.path("inventory").path("bmc").path("manufacturer").asText())
                        .isEqualTo("Sushy Emulator");
                assertThat(node.path("inventory").path("bmc").path("nics").path(0).path("mac").asText())
                        .isEqualTo("52:54:00:00:00:01");
                java.time.Instant firstRead = verified.bmcInventory().at();
                assertThat(node.path("inventory").path("bmc").path("at").asText()).isEqualTo(firstRead.toString());
                assertThat(node.path("events").toString()).contains("read from the BMC: Sushy Emulator");

                // on demand (plinth inspect NODE): read again, through the API
                var answer = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        base + "/api/v1/nodes/rf-verified/inspect")).POST(
                        java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                System.out.println("inspect answered " + answer.statusCode() + ": " + answer.body());
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(answer.body()).contains("BMC's inventory of node rf-verified is read again")
                        .contains("boots the deploy ramdisk to report its hardware");
                await().atMost(Duration.ofSeconds(30)).until(() -> plinth.controller().record("rf-verified")
                        .orElseThrow().bmcInventory().at().isAfter(firstRead));
                // available with nothing to run: booted into the ramdisk through sushy (which runs no ramdisk)
                await().atMost(Duration.ofSeconds(30)).until(() -> plinth.controller().record("rf-verified")
                        .orElseThrow().state() == ProvisioningState.INSPECTING);
                assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        base + "/api/v1/nodes/nobody/inspect")).POST(
                        java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
            }
        }
    }

    @Test
    void anUnreadableBmcCaFileIsAClearErrorAtStart() throws Exception {
        Files.writeString(dir.resolve("vmlinuz"), "kernel");
        Files.writeString(dir.resolve("initramfs.cpio.gz"), "initramfs");
        Files.writeString(dir.resolve("not-a-cert.pem"), "hello\n");
        try (LocalGitRepo repo = LocalGitRepo.init(dir.resolve("repo"))) {
            repo.write("README", "empty\n");
            repo.commitAll("init");
            StandaloneOptions o = new StandaloneOptions(repo.url(), "main", "", Duration.ofHours(1),
                    dir.resolve("state"), dir.resolve("secrets.yaml"), "ipmi", FakeDriverConfig.INSTANT, false,
                    HttpOptions.loopback(), 2, null, false, LifecycleConfig.DEFAULT, new MetalOptions(
                            "http://127.0.0.1:8080", dir.resolve("vmlinuz"), dir.resolve("initramfs.cpio.gz"), "",
                            List.of(), dir.resolve("not-a-cert.pem")));
            assertThatThrownBy(() -> new Standalone(o, NodeListener.NONE).close())
                    .hasMessageContaining("--bmc-ca-file").hasMessageContaining("not-a-cert.pem");
        }
    }
}
