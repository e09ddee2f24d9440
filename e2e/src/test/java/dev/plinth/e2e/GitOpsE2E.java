package dev.plinth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.engine.NodeListener;
import dev.plinth.runtime.Standalone;
import dev.plinth.runtime.StandaloneOptions;
import dev.plinth.runtime.http.HttpOptions;
import dev.plinth.testkit.GitDaemonFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The GitOps loop through a real Git server (git daemon on loopback) and the controller's real HTTP API, with the
 * FAKE driver standing in for machines. The poll interval is an hour: anything picked up after start-up came
 * through the webhook.
 */
class GitOpsE2E {
    private static final String PASSWORD = "s3cret-Bmc-pw";
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private GitDaemonFixture git;
    private Standalone plinth;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        ((Logger) LoggerFactory.getLogger("dev.plinth")).setLevel(ch.qos.logback.classic.Level.DEBUG);
    }

    @AfterEach
    void stop() {
        if (plinth != null) {
            plinth.close();
        }
        if (git != null) {
            git.close();
        }
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    }

    private Api start(String webhookSecret) throws Exception {
        Fleet.writeSecrets(dir.resolve("secrets.yaml"), 6, PASSWORD);
        StandaloneOptions o = new StandaloneOptions(git.url(), "main", "fleet", Duration.ofHours(1),
                dir.resolve("state"), dir.resolve("secrets.yaml"), "fake",
                FakeDriverConfig.of(Duration.ofMillis(5), Duration.ofMillis(300), Duration.ofMillis(100)), false,
                HttpOptions.loopback(), 8, webhookSecret, false, LifecycleConfig.DEFAULT, null);
        plinth = new Standalone(o, NodeListener.NONE);
        return new Api(plinth.apiPort());
    }

    @Test
    void commitRejectFixAndWebhook() throws Exception {
        git = GitDaemonFixture.start();
        String c1 = git.commit(Fleet.files(4, "centos"), "four nodes");
        Api api = start(null);
        assertThat(api.get("/healthz").statusCode()).isEqualTo(200);
        await().atMost(CONVERGE).until(() -> api.convergedOn(c1));
        assertThat(api.get("/readyz").statusCode()).isEqualTo(200);
        JsonNode nodes = api.json("/api/v1/nodes");
        assertThat(nodes).hasSize(4).allSatisfy(n -> {
            assertThat(n.path("state").asText()).isEqualTo("PROVISIONED");
            assertThat(n.path("image").asText()).isEqualTo("centos");
            assertThat(n.path("stepMillis").has("WRITE_IMAGE")).isTrue();
        });

        // a broken revision: a fifth node with a bad MAC, and node-0 moved to rocky. Rejected whole.
        Map<String, String> broken = new HashMap<>(Fleet.files(4, "centos"));
        broken.put("fleet/nodes.yaml", broken.get("fleet/nodes.yaml").replaceFirst("image: \\{name: centos}",
                "image: {name: rocky}") + "---\n" + Fleet.node(4, "centos", "52:54:00:e2:00:zz"));
        String c2 = git.commit(broken, "fifth node, typo");
        assertThat(api.post("/api/v1/webhook/git", "{}", Map.of())).isEqualTo(202);
        await().atMost(CONVERGE).until(() -> api.json("/api/v1/revisions").path("rejected").path(0)
                .path("revision").asText().equals(c2));
        JsonNode revisions = api.json("/api/v1/revisions");
        assertThat(revisions.path("inForce").path("revision").asText()).isEqualTo(c1);
        JsonNode problem = revisions.path("rejected").path(0).path("problems").path(0);
        assertThat(problem.path("file").asText()).isEqualTo("nodes.yaml");
        assertThat(problem.path("path").asText()).isEqualTo("spec.bootMACAddress");
        assertThat(problem.path("line").asInt()).isPositive();
        assertThat(problem.path("message").asText()).contains("52:54:00:e2:00:zz");
        Thread.sleep(500); // give a wrongly applied revision time to show
        assertThat(api.json("/api/v1/nodes")).hasSize(4)
                .allSatisfy(n -> assertThat(n.path("desiredImage").asText()).isEqualTo("centos"));

        // the fix: five nodes, node-0 on rocky
        Map<String, String> fixed = new HashMap<>(Fleet.files(5, "centos"));
        fixed.put("fleet/nodes.yaml", fixed.get("fleet/nodes.yaml").replaceFirst("image: \\{name: centos}",
                "image: {name: rocky}"));
        String c3 = git.commit(fixed, "fifth node, fixed; node-0 on rocky");
        assertThat(api.post("/api/v1/webhook/git", "{}", Map.of())).isEqualTo(202);
        await().atMost(CONVERGE).until(() -> api.convergedOn(c3));
        assertThat(api.json("/api/v1/nodes/node-0").path("image").asText()).isEqualTo("rocky");
        assertThat(api.json("/api/v1/nodes/node-4").path("state").asText()).isEqualTo("PROVISIONED");
        assertThat(plinth.fakeDriver().machine("node-0").orElseThrow().diskImage).isEqualTo("rocky");

        // removing a node deprovisions it
        String c4 = git.commit(Fleet.files(3, "centos"), "shrink to three");
        api.post("/api/v1/webhook/git", "{}", Map.of());
        await().atMost(CONVERGE).until(() -> api.convergedOn(c4));
        assertThat(api.json("/api/v1/nodes")).hasSize(3);
        assertThat(plinth.fakeDriver().machine("node-4").orElseThrow().power.name()).isEqualTo("OFF");

        String metrics = api.get("/metrics").body();
        assertThat(metrics).contains("plinth_nodes{state=\"PROVISIONED\"} 3.0")
                .contains("plinth_revisions_total{result=\"rejected\"} 1.0");

        // the BMC password appears nowhere a user or log reader could see
        for (String path : new String[] {"/api/v1/nodes", "/api/v1/nodes/node-0", "/api/v1/status",
                "/api/v1/desired", "/api/v1/revisions", "/metrics"}) {
            assertThat(api.get(path).body()).doesNotContain(PASSWORD);
        }
        assertThat(logs.list).isNotEmpty().noneSatisfy(e ->
                assertThat(e.getFormattedMessage()).contains(PASSWORD));
    }

    @Test
    void aSignedWebhookIsRequiredWhenASecretIsSet() throws Exception {
        git = GitDaemonFixture.start();
        String c1 = git.commit(Fleet.files(1, "centos"), "one node");
        Api api = start("hook-secret");
        await().atMost(CONVERGE).until(() -> api.convergedOn(c1));
        String c2 = git.commit(Fleet.files(2, "centos"), "two nodes");
        String body = "{\"ref\":\"refs/heads/main\"}";
        assertThat(api.post("/api/v1/webhook/git", body, Map.of())).isEqualTo(401);
        assertThat(api.post("/api/v1/webhook/git", body, Map.of("X-Hub-Signature-256", "sha256=00"))).isEqualTo(401);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("hook-secret".getBytes(), "HmacSHA256"));
        String signature = "sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(body.getBytes()));
        assertThat(api.post("/api/v1/webhook/git", body, Map.of("X-Hub-Signature-256", signature))).isEqualTo(202);
        await().atMost(CONVERGE).until(() -> api.convergedOn(c2));
        assertThat(Set.of(api.json("/api/v1/status").path("nodesInGit").asInt())).containsExactly(2);
    }
}
