package dev.plinth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.driver.fake.FakeMachine;
import dev.plinth.json.Json;
import dev.plinth.testkit.GitDaemonFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 #12: the state store (the SQLite files) is lost while the machines keep running. The restarted controller
 * must adopt the machines it finds powered on and booting from disk, not re-image them: no power, boot-device or
 * deploy action on any (persistent) FAKE machine, every node PROVISIONED with its image marked unverified, and an
 * Adopted event saying so over the HTTP API.
 */
class StateStoreLossE2E {
    private static final int NODES = 6;

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
        controller = ChildController.start(git.url(), dir.resolve("state"), dir.resolve("secrets.yaml"), port,
                dir.resolve("controller-" + run + ".log"), "--fake-call-ms", "20", "--fake-deploy-ms", "500",
                "--fake-boot-ms", "300");
        return ChildController.awaitReady(port);
    }

    private Map<String, FakeMachine> machines() throws Exception {
        return dev.plinth.driver.fake.FakeDriver.readMachines(dir.resolve("state/fake"));
    }

    @Test
    void aControllerThatLostItsDatabaseAdoptsTheRunningMachinesInsteadOfReimagingThem() throws Exception {
        git = GitDaemonFixture.start();
        String commit = git.commit(Fleet.files(NODES, "centos"), "fleet");
        Fleet.writeSecrets(dir.resolve("secrets.yaml"), NODES, "pw");
        port = GitDaemonFixture.freeLoopbackPort();

        Api first = startController(1);
        await().atMost(Duration.ofSeconds(120)).until(() -> first.convergedOn(commit));
        controller.destroy();
        assertThat(controller.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Map<String, Integer> before = new TreeMap<>();
        machines().forEach((name, m) -> before.put(name, m.history.size()));
        assertThat(before).hasSize(NODES);

        // lose the state store, and only it: the machines (and the fake BMCs' view of them) are untouched
        List<Path> dbFiles;
        try (Stream<Path> files = Files.list(dir.resolve("state"))) {
            dbFiles = files.filter(p -> p.getFileName().toString().startsWith("plinth.db")).toList();
        }
        assertThat(dbFiles).isNotEmpty();
        for (Path p : dbFiles) {
            Files.delete(p);
        }

        Api second = startController(2);
        await().atMost(Duration.ofSeconds(60)).until(() -> second.convergedOn(commit));
        // a re-image would have started by now had it been decided: give it the time of a few deploys anyway
        Thread.sleep(2000);

        Map<String, List<String>> actionsAfter = new TreeMap<>();
        long deploys = 0;
        for (Map.Entry<String, FakeMachine> e : machines().entrySet()) {
            List<String> after = e.getValue().history.subList(before.get(e.getKey()), e.getValue().history.size());
            actionsAfter.put(e.getKey(), after);
            deploys += after.stream().filter(h -> h.contains(" deploy.")).count();
        }
        long adopted = 0;
        long unverified = 0;
        List<String> adoptedEvents = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            JsonNode node = second.json("/api/v1/nodes/node-" + i);
            adopted += node.path("state").asText().equals("PROVISIONED") ? 1 : 0;
            unverified += node.path("imageVerified").isBoolean() && !node.path("imageVerified").asBoolean() ? 1 : 0;
            for (JsonNode ev : node.path("events")) {
                if (ev.path("type").asText().equals("Adopted")) {
                    adoptedEvents.add(ev.path("message").asText());
                }
            }
        }
        System.out.printf("state-store-loss: nodes=%d deploys_after_restart=%d machine_actions_after_restart=%s"
                + " provisioned=%d image_unverified=%d adopted_events=%d%n", NODES, deploys, actionsAfter, adopted,
                unverified, adoptedEvents.size());

        assertThat(actionsAfter).as("power, boot-device or deploy actions after the restart")
                .allSatisfy((name, actions) -> assertThat(actions).isEmpty());
        assertThat(adopted).isEqualTo(NODES);
        assertThat(unverified).as("nodes whose image shows unverified").isEqualTo(NODES);
        assertThat(adoptedEvents).hasSize(NODES).allSatisfy(m -> assertThat(m)
                .isEqualTo("adopted: powered on and booting from disk; image unverified until the running OS"
                        + " checks in"));
        JsonNode one = second.json("/api/v1/nodes/node-0");
        assertThat(one.path("image").asText()).isEqualTo("centos");
        assertThat(one.path("message").asText()).startsWith("adopted:");

        // and `plinth status` says so, in the fleet table and for one node
        String server = "http://127.0.0.1:" + port;
        String table = cli("status", "--server", server);
        assertThat(table.lines().filter(l -> l.startsWith("node-"))).hasSize(NODES)
                .allSatisfy(l -> assertThat(l).contains("centos (unverified)").contains("adopted:"));
        assertThat(cli("status", "--server", server, "node-0")).contains("image: centos (unverified)")
                .contains("image unverified: adopted running from disk without a record");
    }

    /** {@code plinth ARGS} in this JVM: its standard output (the exit code must be 0). */
    private static String cli(String... args) {
        java.io.PrintStream out = System.out;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
            assertThat(dev.plinth.runtime.cli.Main.execute(args)).isZero();
        } finally {
            System.setOut(out);
        }
        return buf.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
