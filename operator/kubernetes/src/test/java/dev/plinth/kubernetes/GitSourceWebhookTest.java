package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.http.WebhookVerifier;
import dev.plinth.kubernetes.crd.GitSourceResource;
import dev.plinth.kubernetes.crd.GitSourceSpec;
import dev.plinth.kubernetes.crd.GitSourceWebhook;
import dev.plinth.kubernetes.testing.Fixtures;
import dev.plinth.kubernetes.testing.KubeApi;
import dev.plinth.testkit.GitDaemonFixture;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The GitSource push webhook on a real API server and a real git daemon, with an interval of an hour: a signed call
 * gets a new commit applied within seconds; unsigned, wrongly signed or oversized calls are refused and change
 * nothing; an unknown GitSource is 404.
 */
class GitSourceWebhookTest {
    private static final String TOKEN = "s3cret-hook-token";
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aSignedPushSyncsAtOnceAndUnsignedOnesChangeNothing() throws Exception {
        KubeApi api = KubeApi.get();
        try (GitDaemonFixture git = GitDaemonFixture.start(); KubernetesClient client = api.client()) {
            api.installCrds(client);
            String ns = api.newNamespace(client, "hook");
            client.resource(Fixtures.credentials(ns, "bmc", "admin", "pw")).create();
            client.resource(new SecretBuilder().withNewMetadata().withName("hook").withNamespace(ns).endMetadata()
                    .addToStringData(GitSourceHooks.TOKEN, TOKEN).build()).create();
            String c1 = git.commit(Map.of("fleet/images.yaml", GitSourceTest.IMAGE), "an image");
            try (PlinthOperator operator = PlinthOperator.withFakeDriver(client, FakeDriverConfig.INSTANT,
                    new PlinthOperator.Options(4, null, null, Duration.ofSeconds(30), 20),
                    BareMetalNodeOperatorTest.LIFECYCLE).serveWebhooks("127.0.0.1", 0).start()) {
                String hook = "http://127.0.0.1:" + operator.webhookPort() + "/hooks/gitsource/" + ns + "/fleet";
                GitSourceResource gs = new GitSourceResource();
                gs.setMetadata(new ObjectMetaBuilder().withName("fleet").withNamespace(ns).build());
                gs.setSpec(new GitSourceSpec());
                gs.getSpec().url = git.url();
                gs.getSpec().path = "fleet";
                gs.getSpec().interval = "1h";
                gs.getSpec().webhook = new GitSourceWebhook();
                gs.getSpec().webhook.secretName = "hook";
                client.resource(gs).create();
                GitSourceTest.awaitApplied(client, ns, c1); // the sync on creation

                String c2 = git.commit(Map.of("fleet/nodes.yaml", GitSourceTest.node("w", "52:54:00:08:00:01", "")),
                        "a node");
                String push = "{\"ref\":\"refs/heads/main\",\"after\":\"" + c2 + "\"}";
                assertThat(post(hook, push, Map.of())).as("unsigned").isEqualTo(401);
                assertThat(post(hook, push, Map.of("X-Hub-Signature-256", "sha256=" + "00".repeat(32))))
                        .as("wrong signature").isEqualTo(401);
                assertThat(post(hook, push, Map.of("X-Hub-Signature-256", "sha256=" + sign("another-token", push))))
                        .as("signed with another token").isEqualTo(401);
                assertThat(post(hook, push, Map.of("X-Gitlab-Token", "another-token"))).as("GitLab, wrong token")
                        .isEqualTo(401);
                assertThat(post(hook, "x".repeat(GitSourceHooks.BODY_LIMIT + 1), Map.of("X-Hub-Signature-256",
                        "sha256=" + sign(TOKEN, "x".repeat(GitSourceHooks.BODY_LIMIT + 1))))).as("over 1 MiB")
                        .isEqualTo(413);
                assertThat(post("http://127.0.0.1:" + operator.webhookPort() + "/hooks/gitsource/" + ns + "/nope",
                        push, Map.of("X-Hub-Signature-256", "sha256=" + sign(TOKEN, push)))).as("unknown")
                        .isEqualTo(404);
                // refused calls change nothing: no sync requested, and c2 waits for the hour
                assertThat(GitSourceTest.source(client, ns).getMetadata().getAnnotations())
                        .doesNotContainKey(GitSourceHooks.SYNC_REQUESTED);
                Thread.sleep(3000);
                assertThat(GitSourceTest.source(client, ns).getStatus().lastAppliedRevision).isEqualTo(c1);
                assertThat(GitSourceTest.node(client, ns, "w")).isNull();

                long sent = System.nanoTime();
                assertThat(post(hook, push, Map.of("X-Hub-Signature-256", "sha256=" + sign(TOKEN, push))))
                        .isEqualTo(202);
                awaitAppliedWithin(client, ns, c2, Duration.ofSeconds(30));
                System.err.printf("webhook to applied revision: %d ms%n", (System.nanoTime() - sent) / 1_000_000);
                assertThat(GitSourceTest.node(client, ns, "w")).isNotNull();

                // GitLab sends the token itself
                String c3 = git.commit(Map.of("fleet/nodes.yaml", GitSourceTest.node("w", "52:54:00:08:00:01", "")
                        + "---\n" + GitSourceTest.node("v", "52:54:00:08:00:02", "")), "another node");
                assertThat(post(hook, "{}", Map.of("X-Gitlab-Token", TOKEN))).isEqualTo(202);
                awaitAppliedWithin(client, ns, c3, Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void theListenAddressComesFromTheEnvironment() {
        assertThat(OperatorMain.webhookListen(Map.of())).hasToString("0.0.0.0/<unresolved>:8082");
        assertThat(OperatorMain.webhookListen(Map.of("PLINTH_WEBHOOK_LISTEN", "off"))).isNull();
        var at = OperatorMain.webhookListen(Map.of("PLINTH_WEBHOOK_LISTEN", "[::1]:9000"));
        assertThat(at.getHostString()).isEqualTo("::1");
        assertThat(at.getPort()).isEqualTo(9000);
        assertThatThrownBy(() -> OperatorMain.webhookListen(Map.of("PLINTH_WEBHOOK_LISTEN", "8082")))
                .hasMessageContaining("PLINTH_WEBHOOK_LISTEN=8082: expected HOST:PORT or off");
    }

    private static void awaitAppliedWithin(KubernetesClient client, String ns, String commit, Duration limit) {
        await().atMost(limit).until(() -> {
            var s = GitSourceTest.source(client, ns).getStatus();
            return s != null && commit.equals(s.lastAppliedRevision);
        });
    }

    private static String sign(String token, String body) {
        return new WebhookVerifier(token).hmacHex(body.getBytes(StandardCharsets.UTF_8));
    }

    private int post(String url, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        headers.forEach(b::header);
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            // a server may answer 413 and close before the client has sent the whole body
            if (body.length() > GitSourceHooks.BODY_LIMIT) {
                return 413;
            }
            throw e;
        }
    }
}
