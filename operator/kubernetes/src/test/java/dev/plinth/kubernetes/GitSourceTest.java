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

    /**
     * Problems between documents, and with objects of the namespace the GitSource did not apply, reject the revision
     * whole with the loader's file:line messages (the rules standalone rejects a commit by), before anything is
     * applied: the previous revision's objects stay as they were, and the next good commit applies.
     */
    @Test
    void rejectsRevisionsWithCrossObjectProblemsWhole() throws Exception {
        KubeApi api = KubeApi.get();
        try (GitDaemonFixture git = GitDaemonFixture.start(); KubernetesClient client = api.client()) {
            api.installCrds(client);
            String ns = api.newNamespace(client, "gitx");
            client.resource(Fixtures.credentials(ns, "bmc", "admin", "pw")).create();
            // applied by hand: never the GitSource's, but a revision must not take its MAC and may use its image
            client.resource(Fixtures.node(ns, "handmade", 99, null)).create(); // boot MAC 52:54:00:00:00:63
            client.resource(Fixtures.image(ns, "by-hand")).create();
            String c1 = git.commit(Map.of("fleet/images.yaml", IMAGE,
                    "fleet/nodes.yaml", node("a", "52:54:00:08:00:01", "")), "one node");
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
                String aVersion = node(client, ns, "a").getMetadata().getAnnotations()
                        .get(BareMetalNodeReconciler.REVISION);
                assertThat(aVersion).isEqualTo(c1);

                // (the loader reports at the later document in path order, pointing at the earlier: rack2 > nodes)
                // c takes a's boot MAC (and so its BMC, which the template derives from the MAC); e names an image
                // that exists nowhere; g is fine on its own and must not be applied either
                String c2 = git.commit(Map.of("fleet/rack2.yaml", node("c", "52:54:00:08:00:01", "") + "---\n"
                        + node("e", "52:54:00:08:00:05", "").replace("{name: centos}", "{name: centoss}") + "---\n"
                        + node("g", "52:54:00:08:00:06", "")), "duplicate MAC, unknown image");
                GitSourceResource rejected = awaitAttempted(client, ns, c2);
                System.out.println("cross-object problems of " + c2 + ":\n  "
                        + String.join("\n  ", rejected.getStatus().problems));
                assertThat(rejected.getStatus().lastAppliedRevision).isEqualTo(c1);
                assertThat(rejected.getStatus().problems).contains(
                        "fleet/rack2.yaml:6: spec.bootMACAddress: boot MAC address 52:54:00:08:00:01 is already used"
                                + " by node \"a\" at fleet/nodes.yaml:6: expected every node to have its own boot"
                                + " MAC address",
                        "fleet/rack2.yaml:15: spec.image.name: unknown DiskImage \"centoss\": expected the name of a"
                                + " DiskImage in this revision or namespace \"" + ns + "\"; did you mean"
                                + " \"centos\"?");
                assertThat(rejected.getStatus().problems).anySatisfy(p -> assertThat(p)
                        .startsWith("fleet/rack2.yaml:5: spec.bmc.address: ").contains("node \"a\""));
                assertThat(rejected.getStatus().conditions).anyMatch(c -> c.type.equals("Stalled")
                        && c.status.equals("True") && c.reason.equals("Rejected")
                        && c.message.contains("fleet/rack2.yaml:"));
                for (String name : new String[] {"c", "e", "g"}) {
                    assertThat(node(client, ns, name)).as(name).isNull();
                }
                assertThat(node(client, ns, "a").getMetadata().getAnnotations())
                        .containsEntry(BareMetalNodeReconciler.REVISION, c1);

                // a MAC of a node applied by hand: rejected, naming that node
                String c3 = git.commit(Map.of("fleet/rack2.yaml", node("f", "52:54:00:00:00:63", "")), "MAC taken");
                GitSourceResource taken = awaitAttempted(client, ns, c3);
                System.out.println("problems of " + c3 + ": " + taken.getStatus().problems);
                assertThat(taken.getStatus().lastAppliedRevision).isEqualTo(c1);
                assertThat(taken.getStatus().problems).containsExactly("fleet/rack2.yaml:6: spec.bootMACAddress:"
                        + " boot MAC address 52:54:00:00:00:63 is already used by node \"handmade\" in namespace \""
                        + ns + "\" (not declared by this revision): expected every node to have its own boot MAC"
                        + " address");
                assertThat(node(client, ns, "f")).isNull();
                assertThat(node(client, ns, "handmade").getMetadata().getLabels())
                        .doesNotContainKey(GitSourceReconciler.OWNER_LABEL);

                // the next good commit applies, its node using the image applied by hand
                String c4 = git.commit(Map.of("fleet/rack2.yaml", node("c", "52:54:00:08:00:03", "")
                        .replace("{name: centos}", "{name: by-hand}")), "fixed");
                awaitApplied(client, ns, c4);
                GitSourceResource applied = source(client, ns);
                assertThat(applied.getStatus().problems).isNull();
                assertThat(node(client, ns, "c").getSpec().image.name).isEqualTo("by-hand");
                assertThat(node(client, ns, "a").getMetadata().getAnnotations())
                        .containsEntry(BareMetalNodeReconciler.REVISION, c4);
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
