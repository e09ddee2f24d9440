package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.fake.FakeAddressRules;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.BareMetalNodeStatus;
import dev.plinth.kubernetes.crd.Condition;
import dev.plinth.kubernetes.crd.DiskImageResource;
import dev.plinth.kubernetes.testing.CheckingPower;
import dev.plinth.kubernetes.testing.Fixtures;
import dev.plinth.kubernetes.testing.KubeApi;
import dev.plinth.kubernetes.testing.Kstatus;
import dev.plinth.json.Json;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator on a real kube-apiserver, with the FAKE driver's machines behind BMCs that check the password
 * ({@link CheckingPower}): provisioning, credentials from Secrets, Events, the finalizer, the pause annotation.
 */
class BareMetalNodeOperatorTest {
    static final String PASSWORD = "correct-horse";
    /** Long enough that a retry seen within the test's wait can only be the one a Secret change caused. */
    static final LifecycleConfig LIFECYCLE = new LifecycleConfig(3, Duration.ofMillis(100), Duration.ofMillis(500),
            Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofMinutes(5), Duration.ofMinutes(5),
            Duration.ofSeconds(60), Duration.ofMillis(200), Duration.ofMinutes(1));

    static KubeApi api;
    static KubernetesClient client;
    static FakeDriver fake;
    static PlinthOperator operator;
    static String ns;

    @BeforeAll
    static void start() {
        api = KubeApi.get();
        client = api.client();
        api.installCrds(client);
        ns = api.newNamespace(client, "nodes");
        AtomicReference<BareMetalNodeReconciler> self = new AtomicReference<>();
        fake = new FakeDriver(FakeDriverConfig.INSTANT, null, key -> self.get().wake(key), Clock.systemUTC());
        operator = PlinthOperator.create(client, new Drivers(new CheckingPower(fake, PASSWORD), fake, fake),
                new FakeAddressRules(), new PlinthOperator.Options(4, null, null, Duration.ofSeconds(30), 20),
                LIFECYCLE, fake, self).start();
        client.resource(Fixtures.image(ns, "centos")).create();
    }

    @AfterAll
    static void stop() throws Exception {
        if (operator != null) {
            operator.close();
        }
        if (client != null) {
            client.close();
        }
    }

    @Test
    void aNodeReconcilesToProvisionedWithStatusAppliedByPlinthAndEventsWithoutSecrets() {
        client.resource(Fixtures.credentials(ns, "bmc-n1", "admin", PASSWORD)).create();
        client.resource(Fixtures.node(ns, "n1", 1, "centos")).create();

        BareMetalNodeResource n = awaitCondition("n1", NodeConditions.READY, Duration.ofSeconds(60));
        BareMetalNodeStatus s = n.getStatus();
        assertThat(s.state).isEqualTo("PROVISIONED");
        assertThat(s.image).isEqualTo("centos");
        assertThat(s.power).isEqualTo("ON");
        // the BMC's inventory, read when the node was first seen, through the real API server's schema
        assertThat(s.inventory.bmc.manufacturer).isEqualTo(dev.plinth.kubernetes.testing.CheckingPower.MANUFACTURER);
        assertThat(s.inventory.bmc.memoryBytes).isEqualTo(1L << 30);
        assertThat(s.inventory.bmc.nics).singleElement().satisfies(nic -> {
            assertThat(nic.mac).isEqualTo(n.getSpec().bootMACAddress);
            assertThat(nic.speedMbps).isEqualTo(1000);
        });
        assertThat(s.inventory.bmc.unavailable).containsExactly("Storage: not offered");
        assertThat(s.inventory.deployId).as("no deploy ramdisk with the FAKE driver").isNull();

        // inspection on demand: the annotation has the BMC read again, then the operator removes it
        String firstRead = s.inventory.bmc.at;
        client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("n1").edit(x -> {
            if (x.getMetadata().getAnnotations() == null) {
                x.getMetadata().setAnnotations(new java.util.HashMap<>());
            }
            x.getMetadata().getAnnotations().put(BareMetalNodeReconciler.INSPECT, "requested");
            return x;
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            BareMetalNodeResource x = client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("n1")
                    .get();
            return (x.getMetadata().getAnnotations() == null
                    || !x.getMetadata().getAnnotations().containsKey(BareMetalNodeReconciler.INSPECT))
                    && !firstRead.equals(x.getStatus().inventory.bmc.at);
        });
        assertThat(client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("n1").get().getStatus()
                .state).as("read only: the running machine is left as it is").isEqualTo("PROVISIONED");
        assertThat(s.observedGeneration).isEqualTo(n.getMetadata().getGeneration());
        assertThat(n.getMetadata().getFinalizers()).contains(BareMetalNodeReconciler.FINALIZER);
        assertThat(n.getMetadata().getManagedFields())
                .filteredOn(f -> "status".equals(f.getSubresource()))
                .extracting(ManagedFieldsEntry::getManager, ManagedFieldsEntry::getOperation)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("plinth", "Apply"));
        // the core knows the node as namespace/name
        assertThat(fake.machine(ns + "/n1")).isPresent();

        List<Event> events = eventsOf("n1");
        assertThat(events).extracting(Event::getReason).contains("State");
        assertThat(events).extracting(Event::getMessage).anyMatch(m -> m.contains("PROVISIONED"));
        assertThat(Json.write(events)).doesNotContain(PASSWORD);
        assertThat(Json.write(s)).doesNotContain(PASSWORD);
    }

    /**
     * The inspect annotation on an available node with nothing to run: booted into the (FAKE) ramdisk to report its
     * hardware, nothing written, powered off and AVAILABLE again; the annotation is removed once the boot began.
     */
    @Test
    void theInspectAnnotationBootsAnAvailableNodeIntoTheRamdiskAndWritesNothing() {
        client.resource(Fixtures.credentials(ns, "bmc-n6", "admin", PASSWORD)).create();
        client.resource(Fixtures.node(ns, "n6", 6, null)).create();
        BareMetalNodeResource n = awaitCondition("n6", NodeConditions.READY, Duration.ofSeconds(60));
        assertThat(n.getStatus().state).isEqualTo("AVAILABLE");
        client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("n6").edit(x -> {
            if (x.getMetadata().getAnnotations() == null) {
                x.getMetadata().setAnnotations(new java.util.HashMap<>());
            }
            x.getMetadata().getAnnotations().put(BareMetalNodeReconciler.INSPECT, "requested");
            return x;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> fake.journal().stream()
                .anyMatch(l -> l.contains(" " + ns + "/n6 ") && l.contains("inventory.reported")));
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            BareMetalNodeResource x = client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("n6")
                    .get();
            return "AVAILABLE".equals(x.getStatus().state) && (x.getMetadata().getAnnotations() == null
                    || !x.getMetadata().getAnnotations().containsKey(BareMetalNodeReconciler.INSPECT));
        });
        List<String> journal = fake.journal().stream().filter(l -> l.contains(" " + ns + "/n6 ")).toList();
        System.out.println(String.join("\n", journal));
        assertThat(journal).anyMatch(l -> l.matches("\\d+ \\S+ deploy\\.run \\S+ inspect"));
        assertThat(journal).noneMatch(l -> l.contains("disk.wiped") || l.contains(" image="));
        assertThat(fake.machine(ns + "/n6").orElseThrow().diskImage).as("nothing written").isNull();
        assertThat(eventsOf("n6")).extracting(Event::getMessage).anyMatch(m -> m.contains("AVAILABLE -> INSPECTING"))
                .anyMatch(m -> m.contains("INSPECTING -> AVAILABLE"));
    }

    @Test
    void aCorrectedSecretRecoversAFailedNodeAtOnceNotAfterItsBackoff() {
        client.resource(Fixtures.credentials(ns, "bmc-n2", "admin", "wrong")).create();
        client.resource(Fixtures.node(ns, "n2", 2, "centos")).create();

        BareMetalNodeResource failed = awaitCondition("n2", NodeConditions.STALLED, Duration.ofSeconds(60));
        assertThat(failed.getStatus().error.kind).isEqualTo("AUTHENTICATION");
        assertThat(condition(failed, NodeConditions.STALLED).reason).isEqualTo("Authentication");
        assertThat(eventsOf("n2")).anyMatch(e -> e.getType().equals("Warning"));

        client.resource(Fixtures.credentials(ns, "bmc-n2", "admin", PASSWORD)).update();
        // the error backoff is 10 minutes: only the Secret's change can bring it back this soon
        BareMetalNodeResource recovered = awaitCondition("n2", NodeConditions.READY, Duration.ofSeconds(30));
        assertThat(recovered.getStatus().state).isEqualTo("PROVISIONED");
        assertThat(recovered.getStatus().error).isNull();
        assertThat(Json.write(eventsOf("n2"))).doesNotContain(PASSWORD).doesNotContain("\"wrong\"");
    }

    @Test
    void deletingANodeDeprovisionsItThroughTheFinalizer() {
        client.resource(Fixtures.credentials(ns, "bmc-n3", "admin", PASSWORD)).create();
        client.resource(Fixtures.node(ns, "n3", 3, "centos")).create();
        awaitCondition("n3", NodeConditions.READY, Duration.ofSeconds(60));

        client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("n3").delete();
        await().atMost(Duration.ofSeconds(30)).until(
                () -> client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("n3").get() == null);
        List<String> journal = fake.journal().stream().filter(l -> l.contains(" " + ns + "/n3 ")).toList();
        assertThat(journal).as(String.join("\n", journal)).last().asString().contains("clean");
        assertThat(journal).filteredOn(l -> l.contains("power.off")).as("deprovisioned once").hasSize(1);
        assertThat(journal).filteredOn(l -> l.contains("netboot.cleanup")).as("cleaned up once").hasSize(1);
    }

    @Test
    void aPausedNodeIsLeftAlone() throws InterruptedException {
        client.resource(Fixtures.credentials(ns, "bmc-n4", "admin", PASSWORD)).create();
        BareMetalNodeResource n = Fixtures.node(ns, "n4", 4, "centos");
        n.getMetadata().setAnnotations(java.util.Map.of(BareMetalNodeReconciler.PAUSED, "true"));
        client.resource(n).create();
        Thread.sleep(3000);
        assertThat(get("n4").getStatus()).isNull();
        assertThat(fake.machine(ns + "/n4")).isEmpty();

        client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("n4")
                .edit(x -> {
                    x.getMetadata().getAnnotations().remove(BareMetalNodeReconciler.PAUSED);
                    return x;
                });
        awaitCondition("n4", NodeConditions.READY, Duration.ofSeconds(60));
    }

    @Test
    void anUnknownImageStallsTheNodeNamingIt() {
        client.resource(Fixtures.credentials(ns, "bmc-n5", "admin", PASSWORD)).create();
        client.resource(Fixtures.node(ns, "n5", 5, "nope")).create();
        BareMetalNodeResource n = awaitCondition("n5", NodeConditions.STALLED, Duration.ofSeconds(60));
        assertThat(condition(n, NodeConditions.STALLED).message).contains("no DiskImage \"nope\"");

        DiskImageResource image = Fixtures.image(ns, "nope");
        client.resource(image).create();
        awaitCondition("n5", NodeConditions.READY, Duration.ofSeconds(60));
    }

    @Test
    void fluxAndArgoReadCurrentInProgressAndFailedAsKstatusComputesThem() {
        client.resource(Fixtures.credentials(ns, "bmc-k1", "admin", PASSWORD)).create();
        client.resource(Fixtures.credentials(ns, "bmc-k2", "admin", PASSWORD)).create();
        client.resource(Fixtures.node(ns, "k1", 21, "centos")).create();
        client.resource(Fixtures.node(ns, "k2", 22, "missing")).create();
        awaitCondition("k1", NodeConditions.READY, Duration.ofSeconds(60));
        awaitCondition("k2", NodeConditions.STALLED, Duration.ofSeconds(60));
        assertThat(Kstatus.of(api, ns, "k1", "k2")).containsEntry("k1", "Current").containsEntry("k2", "Failed");

        // a spec change the operator has not seen yet (paused): observedGeneration lags the generation
        client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("k1").edit(x -> {
            x.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of(BareMetalNodeReconciler.PAUSED, "")));
            return x;
        });
        client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("k1").edit(x -> {
            x.getSpec().online = false;
            return x;
        });
        assertThat(Kstatus.of(api, ns, "k1")).containsEntry("k1", "InProgress");
    }

    @Test
    void twoNodesClaimingOneMachineAreBothStalledNamingEachOtherUntilOneGoes() {
        // (the two are created one after the other: the first may be reconciled before the second exists)
        client.resource(Fixtures.credentials(ns, "bmc-d1", "admin", PASSWORD)).create();
        client.resource(Fixtures.credentials(ns, "bmc-d2", "admin", PASSWORD)).create();
        BareMetalNodeResource d1 = Fixtures.node(ns, "d1", 31, "centos");
        BareMetalNodeResource d2 = Fixtures.node(ns, "d2", 32, "centos");
        d2.getSpec().bootMACAddress = d1.getSpec().bootMACAddress.toUpperCase(java.util.Locale.ROOT);
        client.resource(d1).create();
        client.resource(d2).create();

        BareMetalNodeResource s1 = awaitCondition("d1", NodeConditions.STALLED, Duration.ofSeconds(60));
        BareMetalNodeResource s2 = awaitCondition("d2", NodeConditions.STALLED, Duration.ofSeconds(60));
        assertThat(condition(s1, NodeConditions.STALLED).message).contains("BareMetalNode " + ns + "/d2");
        assertThat(condition(s2, NodeConditions.STALLED).message).contains("BareMetalNode " + ns + "/d1");
        assertThat(condition(s1, NodeConditions.STALLED).reason).isEqualTo("Duplicate");
        // d1 may have started before d2 appeared; once stalled, nothing more is done to its machine
        long actions = fake.journal().stream().filter(l -> l.contains(" " + ns + "/d1 ")).count();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(
                () -> fake.journal().stream().filter(l -> l.contains(" " + ns + "/d1 ")).count() == actions);

        client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("d2").delete();
        awaitCondition("d1", NodeConditions.READY, Duration.ofSeconds(60));
    }

    @Test
    void aCloudRoleGivesItsNodesTheirImageAndItsStatusCountsThem() {
        var cloud = new dev.plinth.kubernetes.crd.CloudResource();
        cloud.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace(ns).withName("web")
                .build());
        cloud.setSpec(new dev.plinth.kubernetes.crd.CloudSpec());
        var role = new dev.plinth.kubernetes.crd.CloudSpec.Role();
        role.name = "web";
        role.count = 2;
        role.image = new dev.plinth.kubernetes.crd.ObjectRef("centos");
        role.nodeSelector = new dev.plinth.kubernetes.crd.CloudSpec.Selector();
        role.nodeSelector.matchLabels = java.util.Map.of("role", "web");
        cloud.getSpec().roles = List.of(role);
        client.resource(cloud).create();
        for (String n : List.of("w1", "w2")) {
            client.resource(Fixtures.credentials(ns, "bmc-" + n, "admin", PASSWORD)).create();
        }
        BareMetalNodeResource w1 = Fixtures.node(ns, "w1", 41, null);
        w1.getMetadata().setLabels(java.util.Map.of("role", "web"));
        client.resource(w1).create();

        // the node has no image of its own: its role's
        BareMetalNodeResource ready = awaitCondition("w1", NodeConditions.READY, Duration.ofSeconds(60));
        assertThat(ready.getStatus().image).isEqualTo("centos");
        await().atMost(Duration.ofSeconds(30)).until(() -> cloudCondition("web", NodeConditions.STALLED) != null);
        assertThat(cloudCondition("web", NodeConditions.STALLED).message).contains("role web has 1 of 2 nodes");

        BareMetalNodeResource w2 = Fixtures.node(ns, "w2", 42, null);
        w2.getMetadata().setLabels(java.util.Map.of("role", "web"));
        client.resource(w2).create();
        await().atMost(Duration.ofSeconds(60)).until(() -> cloudCondition("web", NodeConditions.READY) != null);
        var status = client.resources(dev.plinth.kubernetes.crd.CloudResource.class).inNamespace(ns).withName("web")
                .get().getStatus();
        assertThat(status.roles).singleElement().satisfies(r -> {
            assertThat(r.count).isEqualTo(2);
            assertThat(r.members).isEqualTo(2);
            assertThat(r.ready).isEqualTo(2);
        });
    }

    /** The cloud's condition of this type when it is True, else null. */
    static Condition cloudCondition(String name, String type) {
        var c = client.resources(dev.plinth.kubernetes.crd.CloudResource.class).inNamespace(ns).withName(name).get();
        return c == null || c.getStatus() == null ? null : c.getStatus().conditions.stream()
                .filter(x -> x.type.equals(type) && x.status.equals("True")).findFirst().orElse(null);
    }

    static BareMetalNodeResource get(String name) {
        return client.resources(BareMetalNodeResource.class).inNamespace(ns).withName(name).get();
    }

    static Condition condition(BareMetalNodeResource n, String type) {
        return n.getStatus().conditions.stream().filter(c -> c.type.equals(type)).findFirst().orElseThrow();
    }

    static BareMetalNodeResource awaitCondition(String name, String type, Duration within) {
        AtomicReference<BareMetalNodeResource> last = new AtomicReference<>();
        await().atMost(within).pollInterval(Duration.ofMillis(100)).alias(name + " " + type + ", last status: "
                        + (last.get() == null ? null : Json.write(last.get().getStatus())))
                .until(() -> {
                    BareMetalNodeResource n = get(name);
                    last.set(n);
                    return n != null && n.getStatus() != null && n.getStatus().conditions.stream()
                            .anyMatch(c -> c.type.equals(type) && c.status.equals("True"));
                });
        return last.get();
    }

    static List<Event> eventsOf(String name) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
    }
}
