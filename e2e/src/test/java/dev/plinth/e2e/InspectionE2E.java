package dev.plinth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.driver.fake.FakeMachine;
import dev.plinth.engine.NodeListener;
import dev.plinth.json.Json;
import dev.plinth.runtime.Standalone;
import dev.plinth.runtime.StandaloneOptions;
import dev.plinth.testkit.GitDaemonFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inspection on demand (issue 9) through a real standalone controller's HTTP API, FAKE machines: an available node
 * with nothing to run boots the deploy ramdisk, which reports the hardware and powers off, nothing written; the
 * inventory is in {@code /api/v1/nodes/NAME} and {@code plinth status NODE}; a provisioned node is refused (409)
 * and its machine left alone.
 */
class InspectionE2E {
    @TempDir
    Path dir;
    private GitDaemonFixture git;
    private Standalone plinth;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void repo() throws Exception {
        git = GitDaemonFixture.start();
    }

    @AfterEach
    void stop() {
        if (plinth != null) {
            plinth.close();
        }
        git.close();
    }

    private HttpResponse<String> inspect(int port, String node) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/api/v1/nodes/" + node + "/inspect")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        System.out.println("inspect " + node + " answered " + r.statusCode() + ": " + r.body());
        return r;
    }

    private List<String> history(String node) {
        FakeMachine m = plinth.fakeDriver().machine(node).orElseThrow();
        synchronized (m) {
            return new ArrayList<>(m.history);
        }
    }

    /** A controller on FAKE machines that persist (they run on while it is down), ramdisk runs taking {@code run}. */
    private int start(Duration run) throws Exception {
        Path secrets = dir.resolve("secrets.yaml");
        Fleet.writeSecrets(secrets, 2, "pw-inspect");
        plinth = new Standalone(new StandaloneOptions(git.url(), "main", "fleet", Duration.ofHours(1),
                dir.resolve("state"), secrets, "fake",
                FakeDriverConfig.of(Duration.ofMillis(5), run, Duration.ofMillis(100)), true,
                dev.plinth.runtime.http.HttpOptions.loopback(), 4, null, false, LifecycleConfig.DEFAULT, null),
                NodeListener.NONE);
        return plinth.apiPort();
    }

    private static Map<String, String> bareNode0() {
        Map<String, String> files = Fleet.files(2, "centos");
        files.put("fleet/nodes.yaml", files.get("fleet/nodes.yaml").replace(
                "  bootMACAddress: \"" + Fleet.mac(0) + "\"\n  image: {name: centos}\n",
                "  bootMACAddress: \"" + Fleet.mac(0) + "\"\n"));
        return files;
    }

    /**
     * The controller stops while the ramdisk inspects (its record says INSPECTING/READ_HARDWARE); the machine runs on
     * and powers off. The restarted controller resumes from the record: the inventory is kept, nothing written.
     */
    @Test
    void anInspectionInterruptedByARestartResumesFromTheRecord() throws Exception {
        String commit = git.commit(bareNode0(), "node-0 bare, node-1 on centos");
        int port = start(Duration.ofSeconds(3));
        Api api = new Api(port);
        await().atMost(Duration.ofSeconds(60)).until(() -> api.convergedOn(commit));
        assertThat(inspect(port, "node-0").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> api.json("/api/v1/nodes/node-0").path("step").asText()
                .equals("READ_HARDWARE"));
        plinth.close();
        plinth = null;
        Thread.sleep(3500); // the ramdisk finishes (and powers off) while no controller watches
        port = start(Duration.ofSeconds(3));
        Api again = new Api(port);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            JsonNode n = again.json("/api/v1/nodes/node-0");
            return n.path("state").asText().equals("AVAILABLE") && n.path("inventory").has("cpus");
        });
        List<String> ran = history("node-0");
        System.out.println("node-0's machine: " + ran);
        assertThat(ran).filteredOn(l -> l.contains("deploy.run")).as("one inspection boot, resumed not redone")
                .singleElement().asString().endsWith(" inspect");
        assertThat(ran).noneMatch(l -> l.contains("disk.wiped") || l.contains(" image="));
        assertThat(again.json("/api/v1/nodes/node-0").path("events").toString()).contains("INSPECTING -> AVAILABLE");
    }

    @Test
    void anAvailableNodeIsInspectedThroughTheRamdiskAndAProvisionedOneIsRefused() throws Exception {
        // node-0 has no image to run: AVAILABLE, powered off
        String commit = git.commit(bareNode0(), "node-0 bare, node-1 on centos");
        int port = start(Duration.ofMillis(300));
        Api api = new Api(port);
        await().atMost(Duration.ofSeconds(60)).until(() -> api.convergedOn(commit));
        assertThat(api.json("/api/v1/nodes/node-0").path("state").asText()).isEqualTo("AVAILABLE");
        assertThat(api.json("/api/v1/nodes/node-0").has("inventory")).as("never booted: no ramdisk inventory")
                .isFalse();
        int before = history("node-0").size();

        long t0 = System.nanoTime();
        HttpResponse<String> r = inspect(port, "node-0");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(r.body()).path("message").asText())
                .contains("boots the deploy ramdisk to report its hardware");
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            JsonNode n = api.json("/api/v1/nodes/node-0");
            return n.path("state").asText().equals("AVAILABLE") && n.path("inventory").has("cpus");
        });
        System.out.printf("inspection of node-0 through the API: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        JsonNode n = api.json("/api/v1/nodes/node-0");
        assertThat(n.path("inventory").path("cpus").asInt()).isEqualTo(4);
        assertThat(n.path("inventory").path("nics").path(0).path("mac").asText()).isEqualTo(Fleet.mac(0));
        assertThat(n.path("inventory").path("disks").path(0).path("name").asText()).isEqualTo("vda");
        assertThat(n.path("events").toString()).contains("INSPECTING");
        List<String> ran = history("node-0").subList(before, history("node-0").size());
        System.out.println("node-0's machine: " + ran);
        assertThat(ran).anyMatch(l -> l.matches("\\d+ deploy\\.run \\S+ inspect"));
        assertThat(ran).anyMatch(l -> l.endsWith("inventory.reported"));
        assertThat(ran).noneMatch(l -> l.contains("disk.wiped") || l.contains(" image="));
        FakeMachine m = plinth.fakeDriver().machine("node-0").orElseThrow();
        synchronized (m) {
            assertThat(m.diskImage).as("nothing written").isNull();
            assertThat(m.power).as("powered off").isEqualTo(dev.plinth.driver.PowerState.OFF);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> api.convergedOn(commit));

        // plinth status NODE prints it
        PrintStream out = System.out;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(o, true));
            exit = dev.plinth.runtime.cli.Main.execute("status", "--server", "http://127.0.0.1:" + port, "node-0");
        } finally {
            System.setOut(out);
        }
        System.out.println(o);
        assertThat(exit).isZero();
        assertThat(o.toString()).contains("inventory (reported by the deploy ramdisk of").contains("4 CPU(s)");

        // a provisioned node: refused, its machine not disturbed; its BMC is read again all the same
        assertThat(api.json("/api/v1/nodes/node-1").path("state").asText()).isEqualTo("PROVISIONED");
        int running = history("node-1").size();
        r = inspect(port, "node-1");
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(Json.MAPPER.readTree(r.body()).path("error").asText())
                .contains("node node-1 is PROVISIONED").contains("not rebooted for an inspection")
                .contains("BMC's inventory of node node-1 is read again");
        Thread.sleep(500); // give a wrong decision the time to act (no timing asserted)
        assertThat(api.json("/api/v1/nodes/node-1").path("state").asText()).isEqualTo("PROVISIONED");
        assertThat(history("node-1").subList(running, history("node-1").size()))
                .noneMatch(l -> l.contains("deploy.run") || l.contains("power") || l.contains("netboot"));
        assertThat(inspect(port, "nobody").statusCode()).isEqualTo(404);
    }
}
