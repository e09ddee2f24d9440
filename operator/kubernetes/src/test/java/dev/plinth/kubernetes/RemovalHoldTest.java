package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.diff.RemovalGuard;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.CloudResource;
import dev.plinth.kubernetes.crd.GitSourceResource;
import dev.plinth.kubernetes.crd.GitSourceSpec;
import dev.plinth.kubernetes.testing.Fixtures;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The GitSource's mass-removal hold, pure: what counts as taken out, what is never pruned, what approves. */
class RemovalHoldTest {
    static final String NS = "ns";
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final RemovalGuard ONE = new RemovalGuard(1, 100);

    static BareMetalNodeResource node(String name, int index, boolean owned) {
        BareMetalNodeResource n = Fixtures.node(NS, name, index, "centos");
        Map<String, String> labels = new HashMap<>();
        if (owned) {
            labels.put(GitSourceReconciler.OWNER_LABEL, "fleet");
        }
        n.getMetadata().setLabels(labels);
        return n;
    }

    static RemovalHold.InForce inForce(BareMetalNodeResource... nodes) {
        return new RemovalHold.InForce(List.of(nodes), List.of(Fixtures.image(NS, "centos")), List.<CloudResource>of());
    }

    static List<RevisionDocuments.Doc> docs(String yaml) {
        var parsed = RevisionDocuments.parse(Map.of("fleet/x.yaml", yaml), NS);
        assertThat(parsed.problems()).isEmpty();
        return parsed.docs();
    }

    static final String IMAGE = """
            apiVersion: plinth.dev/v1alpha1
            kind: DiskImage
            metadata: {name: centos}
            spec: {url: "http://images.test/centos.raw", checksum: "sha256:%s"}
            """.formatted("ab".repeat(32));

    @Test
    void theGitSourcesNodesLeftOutAreCountedObjectsItDoesNotOwnAreNot() {
        var now = inForce(node("a", 1, true), node("b", 2, true), node("hand", 3, false));
        var hold = RemovalHold.check(ONE, now, "fleet", docs(IMAGE), COMMIT, "approve me");
        assertThat(hold).isPresent();
        assertThat(hold.get().machines()).containsExactly("ns/a: deprovision", "ns/b: deprovision");
        assertThat(hold.get().reason()).contains("2 of 3").endsWith("approve it with `approve me`");

        // a limit of 2: two machines are not more than it
        assertThat(RemovalHold.check(new RemovalGuard(2, 100), now, "fleet", docs(IMAGE), COMMIT, "x")).isEmpty();
    }

    @Test
    void powerOffsCountAndADocumentThatDoesNotConvertIsLeftToTheDryRun() {
        var now = inForce(node("a", 1, true), node("b", 2, true));
        String off = """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: %s}
                spec:
                  bmc: {address: "ipmi://10.1.0.%d:623", credentialsName: bmc-%s}
                  bootMACAddress: "52:54:00:00:00:0%d"
                  image: {name: centos}
                  online: false
                """;
        var hold = RemovalHold.check(ONE, now, "fleet", docs(IMAGE + "---\n" + off.formatted("a", 2, "a", 1) + "---\n"
                + off.formatted("b", 3, "b", 2)), COMMIT, "x");
        assertThat(hold.orElseThrow().machines()).containsExactly("ns/a: power off (online: false)",
                "ns/b: power off (online: false)");

        String wrongType = off.formatted("a", 2, "a", 1).replace("online: false", "online: [no]");
        // were it converted, b and c would be two machines deprovisioned: held
        var three = inForce(node("a", 1, true), node("b", 2, true), node("c", 3, true));
        assertThat(RemovalHold.check(ONE, three, "fleet", docs(IMAGE + "---\n" + off.formatted("a", 2, "a", 1)),
                COMMIT, "x")).isPresent();
        assertThat(RemovalHold.check(ONE, three, "fleet", docs(IMAGE + "---\n" + wrongType), COMMIT, "x")).isEmpty();
    }

    @Test
    void onlyTheHeldCommitOrAPrefixOfSevenCharactersApprovesIt() {
        GitSourceResource gs = new GitSourceResource();
        gs.setMetadata(new ObjectMetaBuilder().withName("fleet").withNamespace(NS).build());
        gs.setSpec(new GitSourceSpec());
        assertThat(RemovalHold.approved(gs, COMMIT)).isFalse();
        for (var ok : List.of(COMMIT, COMMIT.substring(0, 7), " " + COMMIT.substring(0, 12) + "\n")) {
            gs.getMetadata().setAnnotations(Map.of(RemovalHold.APPROVE, ok));
            assertThat(RemovalHold.approved(gs, COMMIT)).as(ok).isTrue();
        }
        for (var no : List.of(COMMIT.substring(0, 6), "fedcba9876543", "")) {
            gs.getMetadata().setAnnotations(Map.of(RemovalHold.APPROVE, no));
            assertThat(RemovalHold.approved(gs, COMMIT)).as(no).isFalse();
        }
        assertThat(RemovalHold.approveCommand(gs, COMMIT)).isEqualTo(
                "kubectl annotate gitsource fleet -n ns plinth.dev/approve-revision=" + COMMIT + " --overwrite");
        assertThat(RemovalHold.guard(gs)).isEqualTo(RemovalGuard.DEFAULT);
        gs.getSpec().holdRemovalsOver = 3;
        gs.getSpec().holdRemovalsOverPercent = 20;
        assertThat(RemovalHold.guard(gs)).isEqualTo(new RemovalGuard(3, 20));
    }
}
