package dev.plinth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.diff.RemovalGuard;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.engine.NodeListener;
import dev.plinth.runtime.Standalone;
import dev.plinth.runtime.StandaloneOptions;
import dev.plinth.runtime.cli.Main;
import dev.plinth.runtime.http.HttpOptions;
import dev.plinth.testkit.GitDaemonFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10's fleet safety through real Git commits (git daemon on loopback), the controller's HTTP API and CLI, with
 * the FAKE driver standing in for machines: mass removals held until approved, drift healed or reported per policy,
 * a node moved between clouds (wiped in between).
 */
class FleetSafetyE2E {
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private GitDaemonFixture git;
    private Standalone plinth;

    @AfterEach
    void stop() {
        if (plinth != null) {
            plinth.close();
        }
        if (git != null) {
            git.close();
        }
    }

    /** Drift checks every 300 ms instead of every minute. */
    private static final LifecycleConfig QUICK_DRIFT = new LifecycleConfig(5, Duration.ofSeconds(2),
            Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofMinutes(30), Duration.ofMinutes(30),
            Duration.ofMinutes(15), Duration.ofMillis(300), Duration.ofMillis(200));

    private Api start(int nodes, java.util.function.UnaryOperator<StandaloneOptions> tweak) throws Exception {
        Fleet.writeSecrets(dir.resolve("secrets.yaml"), nodes, "pw-fleet");
        StandaloneOptions o = new StandaloneOptions(git.url(), "main", "fleet", Duration.ofHours(1),
                dir.resolve("state"), dir.resolve("secrets.yaml"), "fake",
                FakeDriverConfig.of(Duration.ofMillis(5), Duration.ofMillis(300), Duration.ofMillis(100)), false,
                HttpOptions.loopback(), 8, null, false, QUICK_DRIFT, null);
        plinth = new Standalone(tweak.apply(o), NodeListener.NONE);
        return new Api(plinth.apiPort());
    }

    private void push(Api api) throws Exception {
        assertThat(api.post("/api/v1/webhook/git", "{}", Map.of())).isEqualTo(202);
    }

    @Test
    void renamingTheNodesFileAwayIsHeldUntilApprovedAndCommittingItAgainDoesNotBypassTheHold() throws Exception {
        git = GitDaemonFixture.start();
        String c1 = git.commit(Fleet.files(6, "centos"), "six nodes");
        Api api = start(6, o -> o.withRemovalGuard(new RemovalGuard(3, 50)));
        await().atMost(CONVERGE).until(() -> api.convergedOn(c1));

        // the mistake of the issue: a rename that makes the file unread would forget every machine
        Map<String, String> renamed = new HashMap<>();
        renamed.put("fleet/nodes.yaml", null);
        renamed.put("fleet/nodes.yaml.off", Fleet.files(6, "centos").get("fleet/nodes.yaml"));
        String c2 = git.commit(renamed, "rename nodes file");
        push(api);
        await().atMost(CONVERGE).until(() -> api.json("/api/v1/revisions").path("held").path("revision").asText()
                .equals(c2));
        JsonNode held = api.json("/api/v1/revisions").path("held");
        assertThat(held.path("machines")).hasSize(6);
        assertThat(held.path("machines").get(0).asText()).isEqualTo("node-0: deprovision");
        assertThat(held.path("reason").asText()).contains("6 of 6").contains("plinth approve " + c2);
        Thread.sleep(500); // give a wrongly applied revision time to show
        assertThat(api.json("/api/v1/status").path("inForce").path("revision").asText()).isEqualTo(c1);
        assertThat(api.json("/api/v1/nodes")).hasSize(6)
                .allSatisfy(n -> assertThat(n.path("state").asText()).isEqualTo("PROVISIONED"));
        assertThat(plinth.fakeDriver().machine("node-5").orElseThrow().power.name()).isEqualTo("ON");
        assertThat(api.get("/metrics").body()).contains("plinth_revisions_total{result=\"held\"} 1.0");

        // the same change committed again is held again; the earlier commit can no longer be approved
        String c3 = git.commit(Map.of(), "rename nodes file, again");
        push(api);
        await().atMost(CONVERGE).until(() -> api.json("/api/v1/revisions").path("held").path("revision").asText()
                .equals(c3));
        String server = "http://127.0.0.1:" + plinth.apiPort();
        assertThat(Main.execute("approve", "--server", server, c2)).isNotZero();
        assertThat(api.json("/api/v1/nodes")).hasSize(6);
        assertThat(api.post("/api/v1/revisions/" + c2 + "/approve", "", Map.of())).isEqualTo(409);

        // one command approves it
        assertThat(Main.execute("approve", "--server", server, c3.substring(0, 12))).isZero();
        await().atMost(CONVERGE).until(() -> api.convergedOn(c3));
        assertThat(api.json("/api/v1/nodes")).isEmpty();
        assertThat(api.json("/api/v1/revisions").path("held").isNull()).isTrue();
        assertThat(plinth.fakeDriver().machine("node-5").orElseThrow().power.name()).isEqualTo("OFF");
    }

    /** Nodes 0..3: 0 and 1 in role compute (drift: heal, the default), 2 and 3 in role storage (drift: report). */
    private static Map<String, String> twoRoles() {
        Map<String, String> files = new HashMap<>(Fleet.files(4, "centos"));
        String nodes = files.get("fleet/nodes.yaml").replace("metadata: {name: node-2, labels: {role: compute}}",
                "metadata: {name: node-2, labels: {role: storage}}").replace(
                "metadata: {name: node-3, labels: {role: compute}}", "metadata: {name: node-3, labels: {role: storage}}");
        files.put("fleet/nodes.yaml", nodes);
        files.put("fleet/cloud.yaml", """
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: lab}
                spec:
                  roles:
                    - {name: compute, count: 2, nodeSelector: {matchLabels: {role: compute}}, image: {name: centos}}
                    - {name: storage, count: 2, nodeSelector: {matchLabels: {role: storage}}, image: {name: centos},
                       drift: report}
                """);
        return files;
    }

    private static java.util.List<String> events(Api api, String node) throws Exception {
        java.util.List<String> out = new java.util.ArrayList<>();
        api.json("/api/v1/nodes/" + node).path("events").forEach(e -> out.add(e.path("type").asText() + ": "
                + e.path("message").asText()));
        return out;
    }

    @Test
    void driftIsHealedOrReportedPerRolePolicyWithAnEventAndAMetric() throws Exception {
        git = GitDaemonFixture.start();
        String c1 = git.commit(twoRoles(), "two roles, storage reports drift");
        Api api = start(4, o -> o);
        await().atMost(CONVERGE).until(() -> api.convergedOn(c1));

        // behind the controller's back: two machines switched off, one set to boot from the network
        plinth.fakeDriver().tamper("node-0", "power off", m -> {
            m.power = dev.plinth.driver.PowerState.OFF;
            m.osBootedAt = 0;
        });
        plinth.fakeDriver().tamper("node-1", "boot from network", m -> m.bootDevice = dev.plinth.driver.BootDevice.PXE);
        plinth.fakeDriver().tamper("node-2", "power off", m -> {
            m.power = dev.plinth.driver.PowerState.OFF;
            m.osBootedAt = 0;
        });

        // heal: power and boot device restored, each drift an event, and its end another
        await().atMost(CONVERGE).until(() -> events(api, "node-0").stream().anyMatch(e -> e.startsWith(
                "DriftResolved: no longer seen: power: expected ON, observed OFF (since ")));
        assertThat(events(api, "node-0")).contains("Drift: drift: power: expected ON, observed OFF; healing");
        assertThat(plinth.fakeDriver().machine("node-0").orElseThrow().power.name()).isEqualTo("ON");
        await().atMost(CONVERGE).until(() -> plinth.fakeDriver().machine("node-1").orElseThrow().bootDevice
                == dev.plinth.driver.BootDevice.DISK);
        assertThat(events(api, "node-1")).contains("Drift: drift: bootDevice: expected DISK, observed PXE; healing");

        // report: recorded and shown, nothing done
        await().atMost(CONVERGE).until(() -> events(api, "node-2").contains(
                "Drift: drift: power: expected ON, observed OFF; reported only (drift policy report)"));
        Thread.sleep(1000); // several drift checks
        assertThat(plinth.fakeDriver().machine("node-2").orElseThrow().power.name()).isEqualTo("OFF");
        assertThat(events(api, "node-2")).filteredOn(e -> e.startsWith("Drift:")).hasSize(1);
        assertThat(api.json("/api/v1/nodes/node-2").path("message").asText())
                .startsWith("drift: power: expected ON, observed OFF");
        assertThat(plinth.fakeDriver().journal()).noneMatch(l -> l.contains(" node-2 power.on"));

        String metrics = api.get("/metrics").body();
        assertThat(metrics).contains("plinth_drift_total{action=\"healing\",what=\"power\"} 1.0")
                .contains("plinth_drift_total{action=\"healing\",what=\"bootDevice\"} 1.0")
                .contains("plinth_drift_total{action=\"reported\",what=\"power\"} 1.0")
                .contains("plinth_nodes_drifted 1.0");
    }

    @Test
    void aNodeRelabelledIntoAnotherCloudIsWipedThenProvisionedWithThatRolesImage() throws Exception {
        git = GitDaemonFixture.start();
        // nodes without their own image: each runs its role's
        Map<String, String> files = new HashMap<>(Fleet.files(3, "centos"));
        files.put("fleet/nodes.yaml", files.get("fleet/nodes.yaml").replace("  image: {name: centos}\n", ""));
        String clouds = """
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: overcloud}
                spec:
                  roles:
                    - {name: compute, count: 3, nodeSelector: {matchLabels: {role: compute}}, image: {name: centos}}
                ---
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: undercloud}
                spec:
                  roles:
                    - {name: storage, count: 1, nodeSelector: {matchLabels: {role: storage}}, image: {name: rocky}}
                """;
        files.put("fleet/clouds.yaml", clouds);
        String c1 = git.commit(files, "three computes");
        Api api = start(3, o -> o);
        await().atMost(CONVERGE).until(() -> api.convergedOn(c1));
        assertThat(plinth.fakeDriver().machine("node-1").orElseThrow().diskImage).isEqualTo("centos");

        // node-1 relabelled: it leaves the overcloud for the undercloud
        Map<String, String> moved = new HashMap<>(files);
        moved.put("fleet/nodes.yaml", files.get("fleet/nodes.yaml").replace(
                "metadata: {name: node-1, labels: {role: compute}}", "metadata: {name: node-1, labels: {role: storage}}"));
        String c2 = git.commit(moved, "node-1 to the undercloud");
        push(api);
        await().atMost(CONVERGE).until(() -> api.convergedOn(c2));
        assertThat(api.json("/api/v1/nodes/node-1").path("image").asText()).isEqualTo("rocky");
        assertThat(plinth.fakeDriver().machine("node-1").orElseThrow().diskImage).isEqualTo("rocky");
        // wiped between the two tenants: the wipe ran, and only after it the new deploy
        java.util.List<String> journal = plinth.fakeDriver().journal().stream().filter(l -> l.contains(" node-1 "))
                .map(l -> l.substring(l.indexOf(" node-1 ") + 8)).toList();
        int wiped = journal.indexOf("disk.wiped");
        assertThat(wiped).as(journal.toString()).isPositive();
        assertThat(journal.subList(wiped, journal.size())).anyMatch(l -> l.startsWith("deploy.run")
                && l.endsWith("image=rocky"));
        assertThat(journal.subList(0, wiped)).anyMatch(l -> l.endsWith("image=centos"))
                .noneMatch(l -> l.endsWith("image=rocky"));
        assertThat(events(api, "node-1")).contains("State: PROVISIONED -> CLEANING", "State: CLEANING -> AVAILABLE");
        // the others stayed where they were, untouched
        for (String other : new String[] {"node-0", "node-2"}) {
            assertThat(plinth.fakeDriver().journal()).noneMatch(l -> l.contains(" " + other + " disk.wiped"));
            assertThat(plinth.fakeDriver().machine(other).orElseThrow().diskImage).isEqualTo("centos");
        }
        assertThat(api.json("/api/v1/clouds").toString()).contains("undercloud");
    }

    @Test
    void nodesRelabelledOutOfAFullRoleLeaveItWithinItsMaxUnavailable() throws Exception {
        git = GitDaemonFixture.start();
        // compute wants 3 of its 4 nodes (maxUnavailable 1 by default: at least 2 must serve); node-3 is the spare
        Map<String, String> files = new HashMap<>(Fleet.files(4, "centos"));
        files.put("fleet/nodes.yaml", files.get("fleet/nodes.yaml").replace("  image: {name: centos}\n", ""));
        files.put("fleet/clouds.yaml", """
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: overcloud}
                spec:
                  roles:
                    - {name: compute, count: 3, nodeSelector: {matchLabels: {role: compute}}, image: {name: centos}}
                    - {name: storage, count: 2, nodeSelector: {matchLabels: {role: storage}}, image: {name: rocky}}
                """);
        String c1 = git.commit(files, "three computes and a spare");
        Api api = start(4, o -> o);
        await().atMost(CONVERGE).until(() -> api.convergedOn(c1));

        // node-1 and node-2 relabelled to storage at once; compute takes the spare node-3
        Map<String, String> moved = new HashMap<>(files);
        moved.put("fleet/nodes.yaml", files.get("fleet/nodes.yaml")
                .replace("metadata: {name: node-1, labels: {role: compute}}", "metadata: {name: node-1, labels: {role: storage}}")
                .replace("metadata: {name: node-2, labels: {role: compute}}", "metadata: {name: node-2, labels: {role: storage}}"));
        String c2 = git.commit(moved, "node-1 and node-2 to storage");
        push(api);
        await().atMost(CONVERGE).until(() -> api.convergedOn(c2));
        for (String n : new String[] {"node-1", "node-2"}) {
            assertThat(plinth.fakeDriver().machine(n).orElseThrow().diskImage).isEqualTo("rocky");
        }
        assertThat(plinth.fakeDriver().machine("node-3").orElseThrow().diskImage).isEqualTo("centos");
        // node-1 (first by name) left at once: 3 served compute (node-0 and both leavers), 2 must stay; node-2 only
        // once the spare had been written for compute, never both leavers out of compute at the same time
        java.util.List<String> journal = plinth.fakeDriver().journal();
        int node1Wipe = indexOf(journal, " node-1 deploy.run ", " wipe");
        int node2Wipe = indexOf(journal, " node-2 deploy.run ", " wipe");
        int spareWritten = indexOf(journal, " node-3 deploy.done ", " written");
        assertThat(node1Wipe).as(journal.toString()).isNotNegative();
        assertThat(node2Wipe).as("node-2 left compute after the spare joined it: " + journal)
                .isGreaterThan(spareWritten);
        assertThat(plinth.fakeDriver().journal()).noneMatch(l -> l.contains(" node-0 disk.wiped"));
    }

    private static int indexOf(java.util.List<String> journal, String part, String end) {
        for (int i = 0; i < journal.size(); i++) {
            if (journal.get(i).contains(part) && journal.get(i).endsWith(end)) {
                return i;
            }
        }
        return -1;
    }
}
