package dev.plinth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.driver.fake.FakeMachine;
import dev.plinth.json.Json;
import dev.plinth.testkit.GitDaemonFixture;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller as a child JVM, killed with SIGKILL twice while it provisions, then restarted: every node must
 * converge, and the (persistent) FAKE machines must have run each deploy exactly once.
 */
class CrashRecoveryE2E {
    private static final int NODES = 12;

    @TempDir
    Path dir;
    private GitDaemonFixture git;
    private Process controller;
    private int port;

    @AfterEach
    void stop() throws Exception {
        if (controller != null && controller.isAlive()) {
            controller.destroy();
            controller.waitFor(20, TimeUnit.SECONDS);
        }
        if (git != null) {
            git.close();
        }
    }

    private Api startController(int run) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dlogback.configurationFile=logback.xml", "-cp", System.getProperty("java.class.path"), "dev.plinth.runtime.cli.Main", "run",
                "--repo", git.url(), "--path", "fleet", "--poll", "1h", "--driver", "fake",
                "--state-dir", dir.resolve("state").toString(), "--secrets", dir.resolve("secrets.yaml").toString(),
                "--api-listen", "127.0.0.1:" + port, "--workers", "4",
                "--fake-call-ms", "40", "--fake-deploy-ms", "2500", "--fake-boot-ms", "1200"));
        controller = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("controller-" + run + ".log").toFile()).start();
        Api api = new Api(port);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            try {
                return api.get("/readyz").statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
        return api;
    }

    private void killHard() throws Exception {
        controller.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
        assertThat(controller.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(controller.exitValue()).isEqualTo(137);
    }

    private static long count(JsonNode nodes, String field, String value) {
        long n = 0;
        for (JsonNode node : nodes) {
            if (node.path(field).asText().equals(value)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void killedMidProvisioningResumesWithoutDoingAnythingTwice() throws Exception {
        git = GitDaemonFixture.start();
        String commit = git.commit(Fleet.files(NODES, "centos"), "fleet");
        Files.writeString(dir.resolve("secrets.yaml"), Fleet.secrets(NODES, "pw"));
        Files.setPosixFilePermissions(dir.resolve("secrets.yaml"), // a looser one is refused
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        port = GitDaemonFixture.freeLoopbackPort();

        Api api = startController(1);
        // first crash: while images are being written
        await().atMost(Duration.ofSeconds(60)).until(() -> count(api.json("/api/v1/nodes"), "step", "WRITE_IMAGE") > 0);
        killHard();

        Api again = startController(2);
        // second crash: while some nodes boot their disks or are still earlier (poll often: the window is short)
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            JsonNode nodes = again.json("/api/v1/nodes");
            return count(nodes, "state", "PROVISIONED") > 0 && count(nodes, "state", "PROVISIONED") < NODES;
        });
        killHard();

        Api last = startController(3);
        await().atMost(Duration.ofSeconds(120)).until(() -> last.convergedOn(commit));

        Map<String, FakeMachine> machines = Json.MAPPER.readValue(
                dir.resolve("state/fake/machines.json").toFile(),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, FakeMachine>>() { });
        assertThat(machines).hasSize(NODES);
        machines.forEach((name, m) -> {
            assertThat(m.history.stream().filter(h -> h.contains(" deploy.run ")))
                    .as("deploys run on %s: %s", name, m.history).hasSize(1);
            assertThat(m.history.stream().filter(h -> h.contains(" deploy.start ")))
                    .as("deploys started on %s", name).hasSize(1);
            assertThat(m.diskImage).isEqualTo("centos");
        });
        for (int i = 0; i < NODES; i++) {
            JsonNode node = last.json("/api/v1/nodes/node-" + i);
            assertThat(node.path("state").asText()).isEqualTo("PROVISIONED");
            long provisioned = 0;
            for (JsonNode e : node.path("events")) {
                if (e.path("message").asText().equals("PROVISIONING -> PROVISIONED")) {
                    provisioned++;
                }
            }
            assertThat(provisioned).as("node-%d provisioned once", i).isEqualTo(1);
        }
        assertThat(new File(dir.toFile(), "controller-1.log")).content().contains("plinth standalone");
    }
}
