package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.driver.Drivers;
import dev.plinth.driver.fake.FakeAddressRules;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.driver.fake.FakeHealthProber;
import dev.plinth.driver.probe.SocketHealthProber;
import dev.plinth.json.Json;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.CloudResource;
import dev.plinth.kubernetes.crd.CloudSpec;
import dev.plinth.kubernetes.crd.CloudStatus;
import dev.plinth.kubernetes.crd.Condition;
import dev.plinth.kubernetes.crd.DiskImageResource;
import dev.plinth.kubernetes.crd.ObjectRef;
import dev.plinth.kubernetes.testing.Fixtures;
import dev.plinth.kubernetes.testing.KubeApi;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Roles roll out in operator mode with the core's fleet planner, on a real kube-apiserver and the FAKE driver's
 * machines: batches under maxUnavailable behind the health gate (check-in and a TCP probe the fake machines
 * answer), a broken image rolled back by itself and held, and the rollout state kept in the Cloud's status across
 * an operator restart.
 */
class FleetRolloutOperatorTest {
    static final int NODES = 4;
    static final String PASSWORD = "rollout-bmc-s3cret";
    static KubeApi api;
    static KubernetesClient client;
    static FakeDriver fake;
    static final AtomicReference<BareMetalNodeReconciler> self = new AtomicReference<>();
    static PlinthOperator operator;
    static final AtomicInteger FLEETS = new AtomicInteger();

    @BeforeAll
    static void start() {
        api = KubeApi.get();
        client = api.client();
        api.installCrds(client);
        // deploys and boots take long enough that a batch is seen in flight
        fake = new FakeDriver(new FakeDriverConfig(Duration.ZERO, Duration.ofMillis(700), Duration.ofMillis(200), 0,
                Set.of(), Set.of(), Set.of("broken")), null, key -> {
                    var r = self.get();
                    if (r != null) {
                        r.wake(key);
                    }
                }, Clock.systemUTC());
        operator = newOperator();
    }

    /** An operator on the shared machines; closing it leaves them running (a restart, not a power cut). */
    static PlinthOperator newOperator() {
        return PlinthOperator.create(client, new Drivers(fake, fake, fake), new FakeAddressRules(),
                new PlinthOperator.Options(8, null, null, Duration.ofSeconds(30), 20),
                BareMetalNodeOperatorTest.LIFECYCLE, () -> { }, self,
                new FakeHealthProber(fake, new SocketHealthProber(Duration.ofSeconds(2))), key -> key).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (operator != null) {
            operator.close();
        }
        if (fake != null) {
            fake.close();
        }
        if (client != null) {
            client.close();
        }
    }

    @Test
    void aRoleRollsInBatchesOfOneThenRollsBackABrokenImageByItselfAndHoldsIt() {
        String ns = api.newNamespace(client, "roll");
        fleet(ns, 22);
        awaitStable(ns, "centos");

        // sample the nodes out of service (not Ready) while the role moves to rocky
        AtomicInteger mostOut = new AtomicInteger();
        List<String> samples = new ArrayList<>();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                List<String> out = notReady(ns);
                mostOut.accumulateAndGet(out.size(), Math::max);
                if (!out.isEmpty()) {
                    synchronized (samples) {
                        samples.add(String.valueOf(out));
                    }
                }
                sleep(30);
            }
        });
        sampler.start();
        try {
            setImage(ns, "rocky");
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                    .until(() -> rollout(ns) != null && "rocky".equals(rollout(ns).stableImage)
                            && "STABLE".equals(rollout(ns).phase));
            await().atMost(Duration.ofSeconds(30)).until(() -> notReady(ns).isEmpty());
        } finally {
            sampling.set(false);
        }
        synchronized (samples) {
            assertThat(samples).as("the rollout was seen in flight").isNotEmpty();
            assertThat(mostOut.get()).as("never more than maxUnavailable out: " + samples).isEqualTo(1);
        }
        CloudStatus.RolloutStatus done = rollout(ns);
        assertThat(done.batch).as("four batches of one").isEqualTo(NODES);
        assertThat(done.updated).containsExactly("n0", "n1", "n2", "n3");
        assertThat(done.stableRevision).isEqualTo("generation-2");
        for (int i = 0; i < NODES; i++) {
            assertThat(deploys(ns, "n" + i, "rocky")).as("n" + i + " re-imaged once").isEqualTo(1);
        }
        assertThat(cloudEvents(ns)).extracting(Event::getMessage)
                .anyMatch(m -> m.contains("batch 1 of rocky: " + ns + "/n0"))
                .anyMatch(m -> m.contains("rollout of rocky (revision generation-2) complete on 4 node(s)"));
        assertThat(trueCondition(ns).type).isEqualTo(NodeConditions.READY);
        assertThat(dev.plinth.kubernetes.testing.Kstatus.of(api, ns, "clouds/c")).containsEntry("clouds/c", "Current");

        // a broken image (fails verification on its canary): rolled back to rocky by itself, never tried again
        setImage(ns, "broken");
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> "broken".equals(rollout(ns).failedImage) && "STABLE".equals(rollout(ns).phase));
        await().atMost(Duration.ofSeconds(30)).until(() -> notReady(ns).isEmpty());
        CloudStatus.RolloutStatus back = rollout(ns);
        assertThat(back.failedRevision).isEqualTo("generation-3");
        assertThat(back.failedReason).contains(ns + "/n0: deploy failed");
        assertThat(back.stableImage).isEqualTo("rocky");
        Condition stalled = trueCondition(ns);
        assertThat(stalled.type).isEqualTo(NodeConditions.STALLED);
        assertThat(stalled.reason).isEqualTo("RolloutFailed");
        assertThat(stalled.message).contains("revision generation-3 (broken) failed its health gate")
                .contains("rolled back to rocky (revision generation-2)");
        // as Flux and Argo CD read it: the revision failed
        assertThat(dev.plinth.kubernetes.testing.Kstatus.of(api, ns, "clouds/c")).containsEntry("clouds/c", "Failed");
        for (String n : List.of("n0", "n1", "n2", "n3")) {
            BareMetalNodeResource node = client.resources(BareMetalNodeResource.class).inNamespace(ns).withName(n)
                    .get();
            assertThat(node.getStatus().image).as(n).isEqualTo("rocky");
        }
        assertThat(cloudEvents(ns)).filteredOn(e -> e.getType().equals("Warning")).extracting(Event::getMessage)
                .anyMatch(m -> m.contains("revision generation-3 failed its health gate on 1 node(s)")
                        && m.contains("rolling back to rocky"));
        assertThat(Json.write(cloudEvents(ns))).doesNotContain(PASSWORD);
        assertThat(Json.write(client.resources(CloudResource.class).inNamespace(ns).withName("c").get().getStatus()))
                .doesNotContain(PASSWORD);
        // held: no other node tries it, now or later
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4))
                .until(() -> nodesThatRan(ns, "broken").equals(Set.of("n0")));
        assertThat(rollout(ns).phase).isEqualTo("STABLE");
    }

    @Test
    void theRolloutStateInTheCloudsStatusSurvivesAnOperatorRestartMidRollout() throws Exception {
        String ns = api.newNamespace(client, "restart");
        fleet(ns, null);
        awaitStable(ns, "centos");

        setImage(ns, "rocky");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> rollout(ns).batch == 2 && "ROLLING".equals(rollout(ns).phase));
        operator.close(); // mid-rollout: batch 2 is deploying
        CloudStatus.RolloutStatus atStop = rollout(ns);
        assertThat(atStop.state).contains("\"phase\":\"ROLLING\"");
        operator = newOperator();

        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> "rocky".equals(rollout(ns).stableImage) && "STABLE".equals(rollout(ns).phase));
        assertThat(rollout(ns).batch).as("the batches went on, not from the start").isEqualTo(NODES);
        for (int i = 0; i < NODES; i++) {
            assertThat(deploys(ns, "n" + i, "rocky")).as("n" + i + " re-imaged once").isEqualTo(1);
        }
        assertThat(cloudEvents(ns)).extracting(Event::getMessage)
                .filteredOn(m -> m.contains("rollout of rocky") && m.contains("started")).hasSize(1);
    }

    @Test
    void aRoleWithAZeroPercentMaxUnavailableIsNotRolledOutAndItsMembersWaitUntouched() {
        String ns = api.newNamespace(client, "zero");
        fleet(ns, null, "0%");
        await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(CloudResource.class).inNamespace(ns)
                .withName("c").get().getStatus() != null && trueCondition(ns).type.equals(NodeConditions.STALLED));
        assertThat(trueCondition(ns).reason).isEqualTo("InvalidSpec");
        assertThat(trueCondition(ns).message).contains("role compute: rollout.maxUnavailable \"0%\": expected an"
                + " integer >= 1 or a percentage from 1% to 100%");
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            BareMetalNodeResource n = client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("n0").get();
            return n.getStatus() != null && n.getStatus().conditions.stream().anyMatch(c -> c.status.equals("True")
                    && c.type.equals(NodeConditions.STALLED) && c.reason.equals("RoleNotPlanned"));
        });
        assertThat(fake.journal()).noneMatch(l -> l.contains(" " + ns + "/"));

        // fixed: it rolls out
        editCloud(ns, c -> c.getSpec().roles.get(0).rollout.maxUnavailable =
                new io.fabric8.kubernetes.api.model.IntOrString("50%"));
        awaitStable(ns, "centos");
    }

    static void fleet(String ns, Integer tcpPort) {
        fleet(ns, tcpPort, 1);
    }

    /** Images centos, rocky, broken; four nodes n0..n3 in role compute (count 4, maxUnavailable 1) on centos. */
    static void fleet(String ns, Integer tcpPort, Object maxUnavailable) {
        for (String image : List.of("centos", "rocky", "broken")) {
            DiskImageResource i = Fixtures.image(ns, image);
            i.getSpec().checksum = "sha256:" + Integer.toHexString(image.hashCode() & 0xf).repeat(64);
            client.resource(i).create();
        }
        CloudResource cloud = new CloudResource();
        cloud.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName("c").build());
        cloud.setSpec(new CloudSpec());
        CloudSpec.Role role = new CloudSpec.Role();
        role.name = "compute";
        role.count = NODES;
        role.image = new ObjectRef("centos");
        role.nodeSelector = new CloudSpec.Selector();
        role.nodeSelector.matchLabels = Map.of("role", "compute");
        role.rollout = new CloudSpec.Rollout();
        role.rollout.maxUnavailable = new io.fabric8.kubernetes.api.model.IntOrString(maxUnavailable);
        if (tcpPort != null) {
            role.healthCheck = new CloudSpec.HealthCheck();
            role.healthCheck.tcpPort = tcpPort;
            role.healthCheck.timeoutSeconds = 60;
        }
        cloud.getSpec().roles = List.of(role);
        client.resource(cloud).create();
        int base = 5000 + FLEETS.getAndIncrement() * 10; // boot MACs and BMCs are unique across namespaces
        for (int i = 0; i < NODES; i++) {
            client.resource(Fixtures.credentials(ns, "bmc-n" + i, "admin", PASSWORD)).create();
            BareMetalNodeResource n = Fixtures.node(ns, "n" + i, base + i, null);
            n.getMetadata().setLabels(Map.of("role", "compute"));
            client.resource(n).create();
        }
    }

    static void awaitStable(String ns, String image) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .alias("role on " + image + ": " + ns)
                .until(() -> rollout(ns) != null && image.equals(rollout(ns).stableImage)
                        && "STABLE".equals(rollout(ns).phase) && notReady(ns).isEmpty());
    }

    static void setImage(String ns, String image) {
        editCloud(ns, c -> c.getSpec().roles.get(0).image = new ObjectRef(image));
    }

    /** An edit as kubectl makes it: on the latest version, again when the operator's status write came between. */
    static void editCloud(String ns, java.util.function.Consumer<CloudResource> change) {
        for (int attempt = 0; ; attempt++) {
            try {
                client.resources(CloudResource.class).inNamespace(ns).withName("c").edit(c -> {
                    change.accept(c);
                    return c;
                });
                return;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt > 10) {
                    throw e;
                }
            }
        }
    }

    static CloudStatus.RolloutStatus rollout(String ns) {
        CloudResource c = client.resources(CloudResource.class).inNamespace(ns).withName("c").get();
        return c == null || c.getStatus() == null || c.getStatus().roles.isEmpty() ? null
                : c.getStatus().roles.get(0).rollout;
    }

    static Condition trueCondition(String ns) {
        CloudResource c = client.resources(CloudResource.class).inNamespace(ns).withName("c").get();
        return c.getStatus().conditions.stream().filter(x -> x.status.equals("True")).findFirst().orElseThrow();
    }

    /** Nodes whose Ready condition is not True, from one list of the API server. */
    static List<String> notReady(String ns) {
        return client.resources(BareMetalNodeResource.class).inNamespace(ns).list().getItems().stream()
                .filter(n -> n.getStatus() == null || n.getStatus().conditions.stream()
                        .noneMatch(c -> c.type.equals(NodeConditions.READY) && c.status.equals("True")))
                .map(n -> n.getMetadata().getName()).sorted().toList();
    }

    /** How many deploys of {@code image} the machine of {@code node} ran. */
    static long deploys(String ns, String node, String image) {
        return fake.journal().stream().filter(l -> l.contains(" " + ns + "/" + node + " deploy.run ")
                && l.endsWith(" image=" + image)).count();
    }

    static Set<String> nodesThatRan(String ns, String image) {
        Set<String> out = new java.util.TreeSet<>();
        for (int i = 0; i < NODES; i++) {
            if (deploys(ns, "n" + i, image) > 0) {
                out.add("n" + i);
            }
        }
        return out;
    }

    static List<Event> cloudEvents(String ns) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> "Cloud".equals(e.getInvolvedObject().getKind())).toList();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
