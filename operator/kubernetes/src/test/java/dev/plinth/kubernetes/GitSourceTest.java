package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.GitSourceResource;
import dev.plinth.kubernetes.crd.GitSourceSpec;
import dev.plinth.kubernetes.testing.Fixtures;
import dev.plinth.kubernetes.testing.KubeApi;
import dev.plinth.testkit.GitDaemonFixture;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A GitSource on a real git daemon and a real API server: applies, updates and prunes; a bad revision is
 * rejected whole with file:line; a field another manager owns is a reported conflict, not overwritten.
 */
class GitSourceTest {
    static final String IMAGE = """
            apiVersion: plinth.dev/v1alpha1
            kind: DiskImage
            metadata: {name: centos}
            spec: {url: "http://images.test/centos.raw", checksum: "sha256:%s"}
            """.formatted("ab".repeat(32));

    static String node(String name, String mac, String extra) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: %s}
                spec:
                  bmc: {address: "ipmi://10.7.0.%d", credentialsName: bmc}
                  bootMACAddress: "%s"
                  image: {name: centos}
                %s""".formatted(name, mac.hashCode() & 0x7f, mac, extra);
    }

    @Test
    void appliesUpdatesPrunesAndRejectsBadRevisionsWhole() throws Exception {
        KubeApi api = KubeApi.get();
        try (GitDaemonFixture git = GitDaemonFixture.start(); KubernetesClient client = api.client()) {
            api.installCrds(client);
            String ns = api.newNamespace(client, "git");
            client.resource(Fixtures.credentials(ns, "bmc", "admin", "pw")).create();
            String c1 = git.commit(Map.of("fleet/images.yaml", IMAGE,
                    "fleet/nodes.yaml", node("a", "52:54:00:07:00:01", "") + "---\n" + node("b", "52:54:00:07:00:02", ""),
                    "README.md", "not a document"), "two nodes");
            try (PlinthOperator operator = PlinthOperator.withFakeDriver(client, FakeDriverConfig.INSTANT,
                    new PlinthOperator.Options(4, null, null, Duration.ofSeconds(30), 20),
                    BareMetalNodeOperatorTest.LIFECYCLE).start()) {
                GitSourceResource gs = new GitSourceResource();
                gs.setMetadata(new ObjectMetaBuilder().withName("fleet").withNamespace(ns).build());
                gs.setSpec(new GitSourceSpec());
                gs.getSpec().url = git.url();
                gs.getSpec().path = "fleet";
                gs.getSpec().interval = "500ms";
                client.resource(gs).create();

                awaitApplied(client, ns, c1);
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    BareMetalNodeResource a = node(client, ns, "a");
                    return a != null && a.getStatus() != null && "PROVISIONED".equals(a.getStatus().state)
                            && c1.equals(a.getStatus().revision);
                });
                assertThat(node(client, ns, "b").getMetadata().getLabels())
                        .containsEntry(GitSourceReconciler.OWNER_LABEL, "fleet");

                // b disappears from Git: pruned (and deprovisioned by its finalizer); an object not applied by
                // the GitSource is never pruned
                client.resource(Fixtures.node(ns, "handmade", 99, "centos")).create();
                String c2 = git.commit(Map.of("fleet/nodes.yaml", node("a", "52:54:00:07:00:01", "")), "drop b");
                awaitApplied(client, ns, c2);
                await().atMost(Duration.ofSeconds(60)).until(() -> node(client, ns, "b") == null);
                assertThat(node(client, ns, "handmade")).isNotNull();

                // a revision with one bad document is rejected whole: the good new node c is not applied
                String c3 = git.commit(Map.of("fleet/more.yaml", node("c", "52:54:00:07:00:03", "")
                        + "---\n# a node with a broken MAC\n" + node("d", "52:54:00:zz:00:04", "")), "bad");
                GitSourceResource rejected = awaitAttempted(client, ns, c3);
                assertThat(rejected.getStatus().lastAppliedRevision).isEqualTo(c2);
                assertThat(rejected.getStatus().problems).anySatisfy(p -> assertThat(p)
                        .startsWith("fleet/more.yaml:10: BareMetalNode/d:").contains("spec.bootMACAddress"));
                assertThat(rejected.getStatus().conditions).anyMatch(c -> c.type.equals("Stalled")
                        && c.status.equals("True") && c.reason.equals("Rejected"));
                assertThat(node(client, ns, "c")).isNull();

                // a field another manager owns: the next revision that sets it is a conflict, reported
                var other = new io.fabric8.kubernetes.api.model.GenericKubernetesResource();
                other.setApiVersion("plinth.dev/v1alpha1");
                other.setKind("BareMetalNode");
                other.setMetadata(new ObjectMetaBuilder().withName("a").withNamespace(ns).build());
                other.setAdditionalProperty("spec", Map.of("online", false));
                client.resource(other).patch(new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager("someone-else").withForce(true).build(), other);
                String c4 = git.commit(Map.of("fleet/more.yaml", node("c", "52:54:00:07:00:03", ""),
                        "fleet/nodes.yaml", node("a", "52:54:00:07:00:01", "  online: true\n")), "online");
                GitSourceResource conflict = awaitAttempted(client, ns, c4);
                assertThat(conflict.getStatus().lastAppliedRevision).isEqualTo(c2);
                assertThat(String.join("\n", conflict.getStatus().problems))
                        .contains("fleet/nodes.yaml:1: BareMetalNode/a:", "conflict", "someone-else", ".spec.online");
                assertThat(node(client, ns, "a").getSpec().online).isFalse();
                assertThat(node(client, ns, "c")).isNull();
            }
        }
    }

    static BareMetalNodeResource node(KubernetesClient client, String ns, String name) {
        return client.resources(BareMetalNodeResource.class).inNamespace(ns).withName(name).get();
    }

    static GitSourceResource source(KubernetesClient client, String ns) {
        return client.resources(GitSourceResource.class).inNamespace(ns).withName("fleet").get();
    }

    static void awaitApplied(KubernetesClient client, String ns, String commit) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            var s = source(client, ns).getStatus();
            return s != null && commit.equals(s.lastAppliedRevision);
        });
    }

    static GitSourceResource awaitAttempted(KubernetesClient client, String ns, String commit) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            var s = source(client, ns).getStatus();
            return s != null && commit.equals(s.lastAttemptedRevision);
        });
        return source(client, ns);
    }
}
