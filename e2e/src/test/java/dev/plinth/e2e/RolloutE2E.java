package dev.plinth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.engine.NodeListener;
import dev.plinth.runtime.Standalone;
import dev.plinth.runtime.StandaloneOptions;
import dev.plinth.runtime.http.HttpOptions;
import dev.plinth.testkit.GitDaemonFixture;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A role rolled out through real Git commits (git daemon, webhook) with the FAKE driver: a good image in batches
 * that never take more than maxUnavailable nodes out of service, behind a health gate that probes a real TCP port
 * from the controller; an image that fails verification on its canary and is rolled back by itself, never tried on
 * a second node; and an image whose probe fails, rolled back at the gate's timeout.
 */
class RolloutE2E {
    private static final Duration CONVERGE = Duration.ofSeconds(90);
    private static final int NODES = 4;

    @TempDir
    Path dir;
    private GitDaemonFixture git;
    private Standalone plinth;
    private ServerSocket service;

    @AfterEach
    void stop() throws Exception {
        if (plinth != null) {
            plinth.close();
        }
        if (git != null) {
            git.close();
        }
        if (service != null) {
            service.close();
        }
    }

    private static String node(int i) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: node-%d, labels: {role: compute}}
                spec:
                  bmc: {address: "ipmi://10.1.0.%d:623", credentialsName: bmc-node-%d}
                  bootMACAddress: "%s"
                """.formatted(i, i + 1, i, Fleet.mac(i));
    }

    /** Images centos, rocky and broken; four unpinned nodes; one role of four on {@code image}. */
    private static Map<String, String> files(String image, int probePort, int timeoutSeconds) {
        return files(image, probePort, timeoutSeconds, true);
    }

    /** @param checkIn the role's {@code healthCheck.checkIn} */
    private static Map<String, String> files(String image, int probePort, int timeoutSeconds, boolean checkIn) {
        StringBuilder nodes = new StringBuilder();
        for (int i = 0; i < NODES; i++) {
            nodes.append("---\n").append(node(i));
        }
        Map<String, String> files = new LinkedHashMap<>();
        files.put("fleet/images.yaml", Fleet.image("centos", 'a') + "---\n" + Fleet.image("rocky", 'b') + "---\n"
                + Fleet.image("broken", 'c'));
        files.put("fleet/nodes.yaml", nodes.toString());
        files.put("fleet/cloud.yaml", """
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: overcloud}
                spec:
                  roles:
                    - name: compute
                      count: %d
                      nodeSelector: {matchLabels: {role: compute}}
                      image: {name: %s}
                      rollout: {maxUnavailable: 1}
                      healthCheck: {checkIn: %s, tcpPort: %d, host: 127.0.0.1, timeoutSeconds: %d}
                """.formatted(NODES, image, checkIn, probePort, timeoutSeconds));
        return files;
    }

    private Api start() throws Exception {
        return start(Duration.ofMillis(100));
    }

    /** @param osBoot how long the written OS of a FAKE machine takes to boot and check in */
    private Api start(Duration osBoot) throws Exception {
        Fleet.writeSecrets(dir.resolve("secrets.yaml"), NODES, "pw");
        StandaloneOptions o = new StandaloneOptions(git.url(), "main", "fleet", Duration.ofHours(1),
                dir.resolve("state"), dir.resolve("secrets.yaml"), "fake",
                new FakeDriverConfig(Duration.ofMillis(2), Duration.ofMillis(300), osBoot, 0,
                        Set.of(), Set.of(), Set.of("broken")), false,
                HttpOptions.loopback(), 8, null, false, LifecycleConfig.DEFAULT, null);
        plinth = new Standalone(o, NodeListener.NONE);
        return new Api(plinth.apiPort());
    }

    /** {@code plinth status} against the controller, in this JVM: its standard output. */
    private static String plinthStatus(int port) {
        java.io.PrintStream out = System.out;
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(o, true));
            assertThat(dev.plinth.runtime.cli.Main.execute("status", "--server", "http://127.0.0.1:" + port)).isZero();
        } finally {
            System.setOut(out);
        }
        return o.toString();
    }

    private static JsonNode rollout(Api api) throws Exception {
        return api.json("/api/v1/clouds").path(0).path("roles").path(0).path("rollout");
    }

    private long deploysOf(String image) {
        return plinth.fakeDriver().journal().stream().filter(l -> l.contains(" deploy.run ")
                && l.endsWith("image=" + image)).count();
    }

    @Test
    void aRoleThatAsksNoCheckInRollsOnItsProbesAlone() throws Exception {
        int port = serviceUp();
        git = GitDaemonFixture.start();
        String c1 = git.commit(files("centos", port, 60, false), "role compute on centos, no check-in");
        // the written OS takes 10 minutes to boot: no check-in comes within the test
        Api api = start(Duration.ofMinutes(10));
        await().atMost(CONVERGE).until(() -> api.convergedOn(c1));
        String c2 = git.commit(files("rocky", port, 60, false), "compute on rocky");
        api.post("/api/v1/webhook/git", "{}", Map.of());
        await().atMost(CONVERGE).until(() -> api.convergedOn(c2));
        JsonNode done = rollout(api);
        assertThat(done.path("stableImage").asText()).isEqualTo("rocky");
        assertThat(done.path("batch").asInt()).as("one node per batch, each through its probe").isEqualTo(NODES);
        assertThat(deploysOf("rocky")).isEqualTo(NODES);
        assertThat(plinth.fakeDriver().osRunning("node-0")).as("no OS booted, none checked in").contains(false);
    }

    /** Starts the probed service (accepting and closing connections); its port. */
    private int serviceUp() throws Exception {
        service = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accepter = new Thread(() -> {
            while (!service.isClosed()) {
                try {
                    service.accept().close();
                } catch (java.io.IOException e) {
                    return;
                }
            }
        });
        accepter.setDaemon(true);
        accepter.start();
        return service.getLocalPort();
    }

    @Test
    void aGoodImageRollsInBatchesAndABrokenOneRollsBackByItself() throws Exception {
        service = new ServerSocket(0, 50, InetAddress.getLoopbackAddress()); // the probed service, up
        Thread accepter = new Thread(() -> {
            while (!service.isClosed()) {
                try {
                    service.accept().close();
                } catch (java.io.IOException e) {
                    return;
                }
            }
        });
        accepter.setDaemon(true);
        accepter.start();
        int port = service.getLocalPort();
        git = GitDaemonFixture.start();
        String c1 = git.commit(files("centos", port, 60), "role compute on centos");
        Api api = start();
        await().atMost(CONVERGE).until(() -> api.convergedOn(c1));
        assertThat(rollout(api).path("phase").asText()).isEqualTo("STABLE");
        assertThat(rollout(api).path("stableImage").asText()).isEqualTo("centos");

        // a good image: one node out of service at a time, each batch behind the gate
        String c2 = git.commit(files("rocky", port, 60), "compute on rocky");
        AtomicInteger mostOut = new AtomicInteger();
        AtomicReference<String> seenBatches = new AtomicReference<>("");
        api.post("/api/v1/webhook/git", "{}", Map.of());
        await().atMost(CONVERGE).pollInterval(Duration.ofMillis(20)).until(() -> {
            long out = 0;
            for (JsonNode n : api.json("/api/v1/nodes")) {
                if (!n.path("settled").asBoolean()) {
                    out++;
                }
            }
            mostOut.accumulateAndGet((int) out, Math::max);
            JsonNode r = rollout(api);
            if (r.path("batches").size() > 0) {
                seenBatches.compareAndSet("", r.path("batches").toString());
            }
            return api.convergedOn(c2);
        });
        assertThat(mostOut.get()).as("never more than maxUnavailable (1) out of service").isEqualTo(1);
        JsonNode done = rollout(api);
        assertThat(done.path("stableImage").asText()).isEqualTo("rocky");
        assertThat(done.path("stableRevision").asText()).isEqualTo(c2);
        assertThat(done.path("batch").asInt()).as("one node per batch").isEqualTo(NODES);
        assertThat(seenBatches.get()).as("status showed the planned batches").contains("node-");
        assertThat(deploysOf("rocky")).isEqualTo(NODES);

        // a broken image (fails verification): its canary fails, the role rolls back, no other node tries it
        String c3 = git.commit(files("broken", port, 60), "compute on broken");
        api.post("/api/v1/webhook/git", "{}", Map.of());
        await().atMost(CONVERGE).until(() -> c3.equals(rollout(api).path("failedRevision").asText())
                && rollout(api).path("phase").asText().equals("STABLE")
                && plinth.fakeDriver().machine("node-0").map(m -> "rocky".equals(m.diskImage)).orElse(false)
                && api.json("/api/v1/nodes/node-0").path("settled").asBoolean());
        JsonNode rolledBack = rollout(api);
        assertThat(rolledBack.path("failedImage").asText()).isEqualTo("broken");
        assertThat(rolledBack.path("failedReason").asText()).contains("node-0").contains("deploy failed");
        assertThat(rolledBack.path("stableImage").asText()).isEqualTo("rocky");
        assertThat(rolledBack.path("events").toString()).contains("revision " + c3 + " failed its health gate")
                .contains("rolling back to rocky").contains("rollback to rocky complete");
        assertThat(deploysOf("broken")).as("held after the first failure, not tried everywhere").isEqualTo(1);
        for (int i = 0; i < NODES; i++) {
            assertThat(plinth.fakeDriver().machine("node-" + i).orElseThrow().diskImage).isEqualTo("rocky");
        }
        assertThat(api.json("/api/v1/status").path("converged").asBoolean())
                .as("Git asks for an image the role refused").isFalse();
        String status = plinthStatus(plinth.apiPort());
        assertThat(status).contains("Rollout overcloud/compute: STABLE; stable rocky (revision "
                + c2.substring(0, 12) + "); FAILED revision " + c3.substring(0, 12) + " (broken): [node-0: deploy failed")
                .contains("held: revision " + c3);

        // the same broken image in a newer commit stays held
        Map<String, String> again = files("broken", port, 60);
        again.put("README.md", "a newer commit, the same role\n");
        String c4 = git.commit(again, "compute on broken, again");
        api.post("/api/v1/webhook/git", "{}", Map.of());
        await().atMost(CONVERGE).until(() -> api.json("/api/v1/status").path("inForce").path("revision").asText()
                .equals(c4));
        Thread.sleep(1500);
        assertThat(deploysOf("broken")).as("a failed image is held fleet-wide").isEqualTo(1);

        // a good image whose probe fails (the service is down): rolled back at the gate's timeout
        service.close();
        String c5 = git.commit(files("centos", port, 3), "compute back on centos, service down");
        api.post("/api/v1/webhook/git", "{}", Map.of());
        await().atMost(CONVERGE).until(() -> c5.equals(rollout(api).path("failedRevision").asText())
                && rollout(api).path("phase").asText().equals("STABLE")
                && plinth.fakeDriver().machine("node-0").map(m -> "rocky".equals(m.diskImage)).orElse(false));
        assertThat(rollout(api).path("failedReason").asText()).contains("probe tcp 127.0.0.1:" + port);
        assertThat(deploysOf("centos")).as("initial 4, the canary, and no other").isEqualTo(NODES + 1);
    }
}
