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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automatic rollback on the QEMU machines: a role of two, both provisioned with the test image {@code alpha}; a
 * commit moves the role to {@code broken}, an image that writes and verifies like any other and boots (it prints
 * {@code PLINTH-IMAGE=broken}) but never checks in. Its canary fails the health gate at {@code timeoutSeconds}, the
 * role rolls back by itself: the canary is re-imaged with alpha and checks in again, the other machine never leaves
 * alpha, and the failed revision shows in {@code /api/v1/clouds}. Runs inside the lab's namespace like
 * {@link ProvisioningLabE2E}; skips with the reason where the lab cannot run.
 */
class RollbackLabE2E {
    /** One deploy on TCG takes 40-60 s (docs/lab.md); the gate allows three times that, a slow shared machine. */
    private static final int GATE_SECONDS = 180;
    /** The first rollout of the role: two deploys in a row (canary, then the other), each behind its gate. */
    private static final Duration INITIAL = Duration.ofMinutes(10);
    /** From the broken commit to the canary failing: its admission plus the gate's timeout, and slack. */
    private static final Duration FAILS = Duration.ofSeconds(GATE_SECONDS + 240);
    /** The rollback: one deploy of alpha on the canary, then its check-in. */
    private static final Duration ROLLS_BACK = Duration.ofMinutes(6);

    @TempDir
    Path dir;
    private GitDaemonFixture git;
    private Standalone plinth;

    @BeforeAll
    static void inLab() throws Exception {
        assumeTrue(Lab.unavailable() == null, Lab.unavailable());
        Lab.fresh(); // empty disks, whatever ran before in this JVM; the lab comes down when the JVM exits
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

    private static String imageDoc(Lab.Image image) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: DiskImage
                metadata: {name: %s}
                spec: {url: "%s", checksum: "sha256:%s", compression: gz}
                """.formatted(image.name(), image.url("gz"), image.sha256());
    }

    /** A machine of the role: labelled, no image of its own (the role's rollout tells it which). */
    private static String nodeDoc(int vm) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: vm%d, labels: {role: web}}
                spec:
                  bmc: {address: "ipmi://127.0.0.1:%d", credentialsName: bmc-vm%d}
                  bootMACAddress: "%s"
                  rootDeviceHints: {deviceName: /dev/vda, minSizeGigabytes: 1}
                """.formatted(vm, Lab.bmcPort(vm), vm, Lab.mac(vm));
    }

    private static Map<String, String> fleet(String images, String roleImage) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("fleet/images.yaml", images);
        files.put("fleet/nodes.yaml", nodeDoc(1) + "---\n" + nodeDoc(2));
        files.put("fleet/cloud.yaml", """
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: lab}
                spec:
                  roles:
                    - name: web
                      count: 2
                      nodeSelector: {matchLabels: {role: web}}
                      image: {name: %s}
                      rollout: {maxUnavailable: 1}
                      healthCheck: {checkIn: true, timeoutSeconds: %d}
                """.formatted(roleImage, GATE_SECONDS));
        return files;
    }

    private static JsonNode rollout(Api api) throws Exception {
        return api.json("/api/v1/clouds").path(0).path("roles").path(0).path("rollout");
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void aBrokenImageFailsItsGateAndTheRoleRollsBackByItself() throws Exception {
        Lab.Image alpha = Lab.image("alpha");
        Lab.Image broken = Lab.image("broken");
        assertThat(broken.sha256()).as("broken is an image of its own").isNotEqualTo(alpha.sha256());
        String images = imageDoc(alpha) + "---\n" + imageDoc(broken);
        Files.writeString(dir.resolve("secrets.yaml"), "bmc-vm1: {username: admin, password: \"" + Lab.bmcPassword(1)
                + "\"}\nbmc-vm2: {username: admin, password: \"" + Lab.bmcPassword(2) + "\"}\n");
        Files.setPosixFilePermissions(dir.resolve("secrets.yaml"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

        git = GitDaemonFixture.start();
        String c1 = git.commit(fleet(images, "alpha"), "role web on alpha");
        plinth = new Standalone(new StandaloneOptions(git.url(), "main", "fleet", Duration.ofHours(1),
                dir.resolve("state"), dir.resolve("secrets.yaml"), "ipmi", FakeDriverConfig.INSTANT, false,
                // as in ProvisioningLabE2E: the guests reach 127.0.0.1:8080/8443 in the namespace as 10.0.2.2
                new HttpOptions(ListenAddress.loopback(0), ListenAddress.loopback(8080), ListenAddress.loopback(8443),
                        null, HttpLimits.DEFAULT),
                8, null, false, LifecycleConfig.DEFAULT,
                new MetalOptions("http://10.0.2.2:8080", Lab.DIR.resolve("ramdisk/vmlinuz"),
                        Lab.DIR.resolve("ramdisk/initramfs.cpio.gz"), "console=ttyS0",
                        List.of(Lab.DIR.resolve("images")))), NodeListener.NONE);
        Api api = new Api(plinth.apiPort());

        // 1. the role's first rollout: both machines on alpha, one after the other, each checked in
        await().atMost(INITIAL).pollInterval(Duration.ofSeconds(2)).until(() -> api.convergedOn(c1));
        assertThat(rollout(api).path("phase").asText()).isEqualTo("STABLE");
        assertThat(rollout(api).path("stableImage").asText()).isEqualTo("alpha");
        for (int vm = 1; vm <= 2; vm++) {
            assertThat(api.json("/api/v1/nodes/vm" + vm).path("image").asText()).isEqualTo("alpha");
            assertThat(Lab.serialLog(vm)).contains("PLINTH-IMAGE=alpha").contains("PLINTH-CHECKIN=ok");
        }

        // 2. the role on broken: the canary (vm1, first by name) is written with it, boots it, never checks in
        String c2 = git.commit(fleet(images, "broken"), "role web on broken");
        api.post("/api/v1/webhook/git", "{}", Map.of());
        Set<String> phases = new LinkedHashSet<>();
        List<String> vm2Seen = new ArrayList<>();
        await().atMost(FAILS).pollInterval(Duration.ofSeconds(2)).until(() -> {
            JsonNode r = rollout(api);
            phases.add(r.path("phase").asText());
            JsonNode vm2 = api.json("/api/v1/nodes/vm2");
            vm2Seen.add(vm2.path("state").asText() + " " + vm2.path("image").asText());
            return c2.equals(r.path("failedRevision").asText());
        });
        JsonNode failed = rollout(api);
        assertThat(failed.path("failedImage").asText()).isEqualTo("broken");
        assertThat(failed.path("failedReason").asText()).contains("vm1")
                .contains("no health within " + GATE_SECONDS + " s").contains("not running broken")
                .doesNotContain("vm2");
        assertThat(Lab.serialLog(1)).as("the canary booted the broken image, which never checked in")
                .contains("PLINTH-IMAGE=broken").contains("PLINTH-CHECKIN=never");

        // 3. the rollback, by itself: vm1 re-imaged with alpha and checked in again
        await().atMost(ROLLS_BACK).pollInterval(Duration.ofSeconds(2)).until(() -> {
            JsonNode r = rollout(api);
            phases.add(r.path("phase").asText());
            JsonNode vm2 = api.json("/api/v1/nodes/vm2");
            vm2Seen.add(vm2.path("state").asText() + " " + vm2.path("image").asText());
            JsonNode vm1 = api.json("/api/v1/nodes/vm1");
            return r.path("phase").asText().equals("STABLE") && vm1.path("settled").asBoolean()
                    && vm1.path("image").asText().equals("alpha");
        });
        assertThat(phases).as("rollout phases seen").contains("ROLLING_BACK");
        JsonNode done = rollout(api);
        assertThat(done.path("stableImage").asText()).isEqualTo("alpha");
        assertThat(done.path("stableRevision").asText()).isEqualTo(c1);
        assertThat(done.path("failedRevision").asText()).isEqualTo(c2);
        assertThat(done.path("events").toString()).contains("revision " + c2 + " failed its health gate")
                .contains("rolling back to alpha").contains("rollback to alpha complete");
        assertThat(done.path("waiting").asText()).contains("held: revision " + c2);
        assertThat(api.json("/api/v1/status").path("converged").asBoolean())
                .as("Git asks for an image the role refused").isFalse();
        String vm1Log = Lab.serialLog(1);
        String afterBroken = vm1Log.substring(vm1Log.lastIndexOf("PLINTH-IMAGE=broken"));
        assertThat(afterBroken).as("vm1 after the broken boot").contains("PLINTH-IMAGE=alpha")
                .contains("PLINTH-CHECKIN=ok");
        assertThat(Lab.diskSha256(1, alpha.size())).as("disk of vm1").isEqualTo(alpha.sha256());

        // 4. the other machine never left alpha: provisioned on it throughout, booted once, never written again
        assertThat(vm2Seen).as("vm2 while the role tried broken and rolled back").isNotEmpty()
                .allMatch(s -> s.equals("PROVISIONED alpha"));
        String vm2Log = Lab.serialLog(2);
        assertThat(vm2Log).doesNotContain("PLINTH-IMAGE=broken");
        assertThat(count(vm2Log, "PLINTH-IMAGE=alpha")).as("boots of alpha on vm2").isEqualTo(1);
        assertThat(Lab.diskSha256(2, alpha.size())).as("disk of vm2").isEqualTo(alpha.sha256());
        assertThat(Lab.ipmitoolPower(1)).isEqualTo("on");
        assertThat(Lab.ipmitoolPower(2)).isEqualTo("on");
        JsonNode nodeStatus = api.json("/api/v1/nodes/vm1");
        System.out.println("vm1 rollback deploy step timings (ms): " + nodeStatus.path("stepMillis") + " total "
                + nodeStatus.path("lastOperationMillis") + "; rollout events: " + done.path("events"));
    }
}
