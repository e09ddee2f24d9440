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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 10's mass-removal hold in operator mode, on a real git daemon and a real API server (standalone's is
 * {@code FleetSafetyE2E}): a revision that would deprovision most of the namespace's machines is held, its status
 * naming them; committing the same change again is held again; approving the older commit does not apply the
 * newer; the one command the status names (a kubectl annotate) applies it.
 */
class GitSourceRemovalHoldTest {
    static String nodes(int count) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < count; i++) {
            b.append(i == 0 ? "" : "---\n").append(GitSourceTest.node("m" + i, "52:54:00:0a:00:0" + i, ""));
        }
        return b.toString();
    }

    @Test
    void renamingTheNodesFileAwayIsHeldUntilApprovedAndCommittingItAgainDoesNotBypassTheHold() throws Exception {
        KubeApi api = KubeApi.get();
        try (GitDaemonFixture git = GitDaemonFixture.start(); KubernetesClient client = api.client()) {
            api.installCrds(client);
            String ns = api.newNamespace(client, "hold");
            client.resource(Fixtures.credentials(ns, "bmc", "admin", "pw")).create();
            String c1 = git.commit(Map.of("fleet/images.yaml", GitSourceTest.IMAGE, "fleet/nodes.yaml", nodes(4)),
                    "four nodes");
            try (PlinthOperator operator = PlinthOperator.withFakeDriver(client, FakeDriverConfig.INSTANT,
                    new PlinthOperator.Options(4, null, null, Duration.ofSeconds(30), 20),
                    BareMetalNodeOperatorTest.LIFECYCLE).start()) {
                GitSourceResource gs = new GitSourceResource();
                gs.setMetadata(new ObjectMetaBuilder().withName("fleet").withNamespace(ns).build());
                gs.setSpec(new GitSourceSpec());
                gs.getSpec().url = git.url();
                gs.getSpec().path = "fleet";
                gs.getSpec().interval = "500ms";
                gs.getSpec().holdRemovalsOver = 2; // and the default 50%
                client.resource(gs).create();
                GitSourceTest.awaitApplied(client, ns, c1);
                await().atMost(Duration.ofSeconds(60)).until(() -> provisioned(client, ns) == 4);

                // one machine of four: not many, applied at once
                String c2 = git.commit(Map.of("fleet/nodes.yaml", nodes(3)), "drop m3");
                GitSourceTest.awaitApplied(client, ns, c2);
                await().atMost(Duration.ofSeconds(60)).until(() -> GitSourceTest.node(client, ns, "m3") == null);

                // the mistake of the issue: a rename that makes the file unread would deprovision every machine
                Map<String, String> renamed = new HashMap<>();
                renamed.put("fleet/nodes.yaml", null);
                renamed.put("fleet/nodes.yaml.off", nodes(3));
                String c3 = git.commit(renamed, "rename nodes file");
                GitSourceResource held = awaitHeld(client, ns, c3);
                assertThat(held.getStatus().held.machines).containsExactly(ns + "/m0: deprovision",
                        ns + "/m1: deprovision", ns + "/m2: deprovision");
                assertThat(held.getStatus().held.reason).contains("would take 3 of 3 machines out of service")
                        .contains("kubectl annotate gitsource fleet -n " + ns + " plinth.dev/approve-revision=" + c3);
                assertThat(held.getStatus().lastAppliedRevision).isEqualTo(c2);
                assertThat(held.getStatus().conditions).anyMatch(c -> c.type.equals("Stalled")
                        && c.status.equals("True") && c.reason.equals("Held") && c.message.contains(c3));
                // held over several intervals: nothing pruned, every machine still provisioned
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                        .until(() -> provisioned(client, ns) == 3);

                // the same change committed again is held again; approving the earlier commit applies nothing
                String c4 = git.commit(Map.of(), "rename nodes file, again");
                held = awaitHeld(client, ns, c4);
                assertThat(kubectl(api, "annotate", "gitsource", "fleet", "-n", ns,
                        RemovalHold.APPROVE + "=" + c3)).contains("annotated");
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                        .until(() -> provisioned(client, ns) == 3
                                && c4.equals(GitSourceTest.source(client, ns).getStatus().held.revision));

                // one command approves it: the one the status names
                String reason = GitSourceTest.source(client, ns).getStatus().held.reason;
                String command = reason.substring(reason.indexOf('`') + 1, reason.lastIndexOf('`'));
                assertThat(command).startsWith("kubectl annotate ").endsWith(RemovalHold.APPROVE + "=" + c4
                        + " --overwrite");
                List<String> args = new ArrayList<>(Arrays.asList(command.split(" ")));
                args.remove(0);
                assertThat(kubectl(api, args.toArray(String[]::new))).contains("annotated");
                GitSourceTest.awaitApplied(client, ns, c4);
                assertThat(GitSourceTest.source(client, ns).getStatus().held).isNull();
                await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(BareMetalNodeResource.class)
                        .inNamespace(ns).list().getItems().isEmpty());
            }
        }
    }

    static String kubectl(KubeApi api, String... args) {
        KubeApi.Result r = api.kubectl(args);
        assertThat(r.exitCode()).as(r.output()).isZero();
        return r.output();
    }

    static long provisioned(KubernetesClient client, String ns) {
        return client.resources(BareMetalNodeResource.class).inNamespace(ns).list().getItems().stream()
                .filter(n -> n.getStatus() != null && "PROVISIONED".equals(n.getStatus().state)).count();
    }

    static GitSourceResource awaitHeld(KubernetesClient client, String ns, String commit) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            var s = GitSourceTest.source(client, ns).getStatus();
            return s != null && s.held != null && commit.equals(s.held.revision);
        });
        return GitSourceTest.source(client, ns);
    }
}
