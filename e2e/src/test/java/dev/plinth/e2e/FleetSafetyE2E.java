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
 * the FAKE driver standing in for machines: mass removals held until approved.
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

    private Api start(int nodes, java.util.function.UnaryOperator<StandaloneOptions> tweak) throws Exception {
        Fleet.writeSecrets(dir.resolve("secrets.yaml"), nodes, "pw-fleet");
        StandaloneOptions o = new StandaloneOptions(git.url(), "main", "fleet", Duration.ofHours(1),
                dir.resolve("state"), dir.resolve("secrets.yaml"), "fake",
                FakeDriverConfig.of(Duration.ofMillis(5), Duration.ofMillis(300), Duration.ofMillis(100)), false,
                HttpOptions.loopback(), 8, null, false, LifecycleConfig.DEFAULT, null);
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
}
