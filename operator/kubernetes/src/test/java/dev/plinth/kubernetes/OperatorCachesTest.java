package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.driver.Drivers;
import dev.plinth.driver.fake.FakeAddressRules;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.json.Json;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.BareMetalNodeStatus;
import dev.plinth.kubernetes.testing.Fixtures;
import dev.plinth.kubernetes.testing.GatedPower;
import dev.plinth.kubernetes.testing.KubeApi;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What the node controller reads from its informer caches, when they cannot tell: a stopping operator's pass in
 * flight (JOSDK stops and clears the caches before the passes end), and a Secret that appears after its node. The
 * error backoff is 10 minutes ({@link BareMetalNodeOperatorTest#LIFECYCLE}): a node that finishes within the tests'
 * waits did not sit out a backoff. Boot MACs and BMCs unique across the suite (nodes of other classes stay in the
 * shared API server, and a duplicate stalls both).
 */
class OperatorCachesTest {
    private static final PlinthOperator.Options OPTIONS =
            new PlinthOperator.Options(2, null, null, Duration.ofSeconds(30), 20);

    @Test
    void aPassInFlightWhenTheOperatorStopsRecordsNothingFromItsStoppedCachesAndTheNextOperatorFinishesAtOnce()
            throws Exception {
        KubeApi api = KubeApi.get();
        try (KubernetesClient setup = api.client(); KubernetesClient clientA = api.client();
                KubernetesClient clientB = api.client()) {
            api.installCrds(setup);
            String ns = api.newNamespace(setup, "stopping");
            FakeDriver machines = new FakeDriver(FakeDriverConfig.INSTANT, null, key -> { }, Clock.systemUTC());
            GatedPower held = new GatedPower(machines);
            PlinthOperator a = PlinthOperator.create(clientA, new Drivers(held, machines, machines),
                    new FakeAddressRules(), OPTIONS, BareMetalNodeOperatorTest.LIFECYCLE, () -> { },
                    new AtomicReference<>()).start();
            PlinthOperator b = null;
            try {
                setup.resource(Fixtures.image(ns, "centos")).create();
                setup.resource(Fixtures.credentials(ns, "bmc-s1", "admin", "pw")).create();
                setup.resource(Fixtures.node(ns, "s1", 61, "centos")).create();

                assertThat(held.awaitHeld(Duration.ofSeconds(60))).as("a BMC call in flight").isTrue();
                CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
                    try {
                        a.close();
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                });
                // the operator has stopped (and JOSDK cleared) its caches; the pass is still in its BMC call
                await().atMost(Duration.ofSeconds(30)).until(() -> !a.nodes().cachesServing());
                held.release();
                closing.get(30, TimeUnit.SECONDS);

                BareMetalNodeStatus left = node(setup, ns).getStatus();
                String seen = Json.write(left) + "\n" + String.join("\n", journal(machines, ns));
                assertThat(left.error).as(seen).isNull();
                assertThat(left.conditions).as(seen)
                        .noneMatch(c -> c.type.equals(NodeConditions.STALLED) && c.status.equals("True"));
                assertThat(events(setup, ns)).extracting(Event::getMessage)
                        .noneMatch(m -> m.contains("no credentials") || m.contains("no DiskImage"));

                b = PlinthOperator.create(clientB, new Drivers(machines, machines, machines), new FakeAddressRules(),
                        OPTIONS, BareMetalNodeOperatorTest.LIFECYCLE, () -> { }, new AtomicReference<>()).start();
                awaitReady(setup, ns, "s1", machines);
                List<String> journal = journal(machines, ns);
                assertThat(journal).as(String.join("\n", journal))
                        .filteredOn(l -> l.contains("netboot.deploy")).hasSize(1);
                assertThat(journal).filteredOn(l -> l.contains("netboot.local")).hasSize(1);
            } finally {
                held.release();
                if (b != null) {
                    b.close();
                }
                machines.close();
            }
        }
    }

    @Test
    void aNodeWhoseSecretIsCreatedAfterItProvisionsAsSoonAsTheSecretAppears() throws Exception {
        KubeApi api = KubeApi.get();
        try (KubernetesClient setup = api.client(); KubernetesClient client = api.client()) {
            api.installCrds(setup);
            String ns = api.newNamespace(setup, "latesecret");
            FakeDriver machines = new FakeDriver(FakeDriverConfig.INSTANT, null, key -> { }, Clock.systemUTC());
            try (PlinthOperator operator = PlinthOperator.create(client, new Drivers(machines, machines, machines),
                    new FakeAddressRules(), OPTIONS, BareMetalNodeOperatorTest.LIFECYCLE, () -> { },
                    new AtomicReference<>()).start()) {
                setup.resource(Fixtures.image(ns, "centos")).create();
                setup.resource(Fixtures.node(ns, "s2", 62, "centos")).create();
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    BareMetalNodeStatus s = node(setup, ns, "s2").getStatus();
                    return s != null && s.error != null && "MISSING_CREDENTIALS".equals(s.error.kind);
                });

                setup.resource(Fixtures.credentials(ns, "bmc-s2", "admin", "pw")).create();
                awaitReady(setup, ns, "s2", machines);
                assertThat(node(setup, ns, "s2").getStatus().error).isNull();
            } finally {
                machines.close();
            }
        }
    }

    /** Ready well within the 10-minute error backoff: only a prompt retry gets there. */
    private static void awaitReady(KubernetesClient client, String ns, String name, FakeDriver machines) {
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                BareMetalNodeResource n = node(client, ns, name);
                return n.getStatus() != null && "PROVISIONED".equals(n.getStatus().state)
                        && n.getStatus().conditions.stream().anyMatch(
                                c -> c.type.equals(NodeConditions.READY) && c.status.equals("True"));
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("not Ready: " + Json.write(node(client, ns, name).getStatus()) + "\n"
                    + String.join("\n", journal(machines, ns)), e);
        }
    }

    private static BareMetalNodeResource node(KubernetesClient client, String ns) {
        return node(client, ns, "s1");
    }

    private static BareMetalNodeResource node(KubernetesClient client, String ns, String name) {
        return client.resources(BareMetalNodeResource.class).inNamespace(ns).withName(name).get();
    }

    private static List<Event> events(KubernetesClient client, String ns) {
        return client.v1().events().inNamespace(ns).list().getItems();
    }

    private static List<String> journal(FakeDriver machines, String ns) {
        return machines.journal().stream().filter(l -> l.contains(" " + ns + "/")).toList();
    }
}
