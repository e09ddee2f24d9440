package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.PowerState;
import dev.plinth.driver.fake.FakeAddressRules;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.driver.fake.FakeHealthProber;
import dev.plinth.driver.probe.SocketHealthProber;
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
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 10's fleet safety in operator mode, on a real kube-apiserver with the FAKE driver's machines (standalone's
 * {@code FleetSafetyE2E} and {@code RolloutE2E} through Git): drift healed or only reported per the Cloud's and
 * the role's {@code drift} policy, nodes relabelled from a role of one Cloud into a role of another (leaving within
 * the first role's maxUnavailable, wiped, provisioned with the other's image), and a role rolled back by itself
 * when a real TCP health probe fails at its timeout. The mass-removal hold is {@code GitSourceRemovalHoldTest}.
 */
class FleetSafetyOperatorTest {
    static final String PASSWORD = "safety-bmc-s3cret";
    /** As BareMetalNodeOperatorTest's, with drift read back every 300 ms instead of every minute. */
    static final LifecycleConfig QUICK_DRIFT = new LifecycleConfig(3, Duration.ofMillis(100), Duration.ofMillis(500),
            Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofMinutes(5), Duration.ofMinutes(5),
            Duration.ofMillis(300), Duration.ofMillis(200), Duration.ofMinutes(1));
    static final Duration CONVERGE = Duration.ofSeconds(90);
    static final AtomicInteger FLEETS = new AtomicInteger();

    static KubeApi api;
    static KubernetesClient client;
    static FakeDriver fake;
    static final AtomicReference<BareMetalNodeReconciler> self = new AtomicReference<>();
    static PlinthOperator operator;

    @BeforeAll
    static void start() {
        api = KubeApi.get();
        client = api.client();
        api.installCrds(client);
        fake = new FakeDriver(new FakeDriverConfig(Duration.ZERO, Duration.ofMillis(300), Duration.ofMillis(100), 0,
                Set.of(), Set.of(), Set.of()), null, key -> {
                    var r = self.get();
                    if (r != null) {
                        r.wake(key);
                    }
                }, Clock.systemUTC());
        operator = PlinthOperator.create(client, new Drivers(fake, fake, fake), new FakeAddressRules(),
                new PlinthOperator.Options(8, null, null, Duration.ofSeconds(30), 20), QUICK_DRIFT, () -> { },
                self, new FakeHealthProber(fake, new SocketHealthProber(Duration.ofSeconds(2))), key -> key).start();
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
    void driftIsHealedOrOnlyReportedPerTheCloudsAndTheRolesPolicy() {
        String ns = api.newNamespace(client, "drift");
        images(ns, "centos");
        // the Cloud reports drift; its compute role overrides that with heal, storage inherits report
        CloudSpec.Role compute = role("compute", 2, "compute", "centos");
        compute.drift = CloudSpec.Drift.HEAL;
        CloudSpec.Role storage = role("storage", 2, "storage", "centos");
        cloud(ns, "c", CloudSpec.Drift.REPORT, compute, storage);
        nodes(ns, Map.of("n0", "compute", "n1", "compute", "n2", "storage", "n3", "storage"));
        await().atMost(CONVERGE).alias("four nodes Ready").until(() -> notReady(ns).isEmpty() && nodeCount(ns) == 4);

        // behind the operator's back: a compute machine and a storage machine switched off, another compute
        // machine set to boot from the network
        fake.tamper(ns + "/n0", "power off", m -> {
            m.power = PowerState.OFF;
            m.osBootedAt = 0;
        });
        fake.tamper(ns + "/n1", "boot from network", m -> m.bootDevice = BootDevice.PXE);
        fake.tamper(ns + "/n2", "power off", m -> {
            m.power = PowerState.OFF;
            m.osBootedAt = 0;
        });
        int tampered = fake.journal().size();

        // heal: power and boot device restored, the drift an event and its end another
        await().atMost(CONVERGE).until(() -> events(ns, "n0").stream().anyMatch(e -> e.startsWith(
                "DriftResolved: no longer seen: power: expected ON, observed OFF")));
        assertThat(events(ns, "n0")).contains("Drift: drift: power: expected ON, observed OFF; healing");
        assertThat(fake.machine(ns + "/n0").orElseThrow().power).isEqualTo(PowerState.ON);
        await().atMost(CONVERGE).until(() -> fake.machine(ns + "/n1").orElseThrow().bootDevice == BootDevice.DISK);
        assertThat(events(ns, "n1")).contains("Drift: drift: bootDevice: expected DISK, observed PXE; healing");
        await().atMost(CONVERGE).until(() -> notReady(ns).equals(List.of("n2")));

        // report: an event and the node's Stalled condition, nothing done
        await().atMost(CONVERGE).until(() -> events(ns, "n2").contains(
                "Drift: drift: power: expected ON, observed OFF; reported only (drift policy report)"));
        await().atMost(CONVERGE).until(() -> stalled(ns, "n2") != null);
        Condition c = stalled(ns, "n2");
        assertThat(c.reason).isEqualTo("DriftReported");
        assertThat(c.message).startsWith("drift: power: expected ON, observed OFF");
        // several drift checks (every 300 ms) later: still off, reported once, never powered on
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                .until(() -> fake.machine(ns + "/n2").orElseThrow().power == PowerState.OFF);
        assertThat(events(ns, "n2")).filteredOn(e -> e.startsWith("Drift:")).hasSize(1);
        assertThat(fake.journal().subList(tampered, fake.journal().size()))
                .noneMatch(l -> l.contains(" " + ns + "/n2 power.on"));
        assertThat(eventsJson(ns)).doesNotContain(PASSWORD);
        // n3, the other storage node, was not touched
        assertThat(stalled(ns, "n3")).isNull();

        // the Cloud's policy switched to heal: the operator powers n2 back on, the drift is over, the node Ready
        editCloud(ns, "c", cl -> cl.getSpec().drift = CloudSpec.Drift.HEAL);
        await().atMost(CONVERGE).until(() -> notReady(ns).isEmpty());
        assertThat(fake.machine(ns + "/n2").orElseThrow().power).isEqualTo(PowerState.ON);
        assertThat(events(ns, "n2")).contains("Drift: drift: power: expected ON, observed OFF; healing")
                .anyMatch(e -> e.startsWith("DriftResolved: no longer seen: power"));
    }

    @Test
    void nodesRelabelledIntoAnotherCloudLeaveWithinTheirRolesMaxUnavailableAndAreWipedInBetween() {
        String ns = api.newNamespace(client, "move");
        images(ns, "centos", "rocky");
        // x/a wants 3 of its 4 nodes (maxUnavailable 1: at least 2 must serve); n3 is the spare
        cloud(ns, "x", null, role("a", 3, "a", "centos"));
        cloud(ns, "y", null, role("b", 2, "b", "rocky"));
        nodes(ns, Map.of("n0", "a", "n1", "a", "n2", "a", "n3", "a"));
        await().atMost(CONVERGE).alias("x/a on centos").until(() -> notReady(ns).isEmpty() && nodeCount(ns) == 4
                && "centos".equals(diskImage(ns, "n2")) && roleStatus(ns, "x") != null
                && Integer.valueOf(3).equals(roleStatus(ns, "x").ready));
        assertThat(diskImage(ns, "n3")).as("the spare runs nothing").isNull();
        int before = fake.journal().size();

        // n1 and n2 relabelled into y's role b: x/a takes the spare
        relabel(ns, "n1", "b");
        relabel(ns, "n2", "b");
        try {
            await().atMost(CONVERGE).alias("n1, n2 on rocky, n3 on centos").until(() -> notReady(ns).isEmpty()
                    && "rocky".equals(diskImage(ns, "n1")) && "rocky".equals(diskImage(ns, "n2"))
                    && "centos".equals(diskImage(ns, "n3")) && roleStatus(ns, "y") != null
                    && Integer.valueOf(2).equals(roleStatus(ns, "y").ready)
                    && Integer.valueOf(2).equals(roleStatus(ns, "x").ready));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            dump(ns);
            throw e;
        }

        List<String> journal = fake.journal().subList(before, fake.journal().size());
        for (String moved : List.of("n1", "n2")) {
            List<String> own = actions(journal, ns + "/" + moved);
            int wiped = own.indexOf("disk.wiped");
            assertThat(wiped).as(moved + ": " + own).isNotNegative();
            assertThat(own.subList(0, wiped)).as(moved + " not written with rocky before the wipe")
                    .noneMatch(l -> l.endsWith("image=rocky"));
            assertThat(own.subList(wiped, own.size())).anyMatch(l -> l.startsWith("deploy.run")
                    && l.endsWith("image=rocky"));
            assertThat(events(ns, moved)).contains("State: PROVISIONED -> CLEANING", "State: CLEANING -> AVAILABLE");
        }
        // n1 (first by name) left at once: n0, n1 and n2 served, 2 must; n2 only once the spare was written for
        // x/a, never both leavers out of x/a at the same time
        int n2Wipe = indexOf(journal, " " + ns + "/n2 deploy.run ", " wipe");
        int spareWritten = indexOf(journal, " " + ns + "/n3 deploy.done ", " written");
        assertThat(spareWritten).as(journal.toString()).isNotNegative();
        assertThat(n2Wipe).as("n2 left x/a after the spare joined it: " + journal).isGreaterThan(spareWritten);
        assertThat(journal).noneMatch(l -> l.contains(" " + ns + "/n0 "));
        // x/a kept what it could: 2 of its 3 (no spare left), said so; y/b has both
        assertThat(trueCondition(ns, "x").reason).isEqualTo("Shortfall");
        assertThat(trueCondition(ns, "x").message).contains("role a has 2 of 3 nodes");
        assertThat(trueCondition(ns, "y").type).isEqualTo(NodeConditions.READY);
    }

    @Test
    void aFailingTcpProbeFailsTheCanaryAtItsTimeoutAndTheRoleRollsBackByItself() throws Exception {
        String ns = api.newNamespace(client, "probe");
        images(ns, "centos", "rocky");
        try (ServerSocket service = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // the service the role's probe checks: up while centos runs
            Thread acceptor = new Thread(() -> {
                while (!service.isClosed()) {
                    try (Socket s = service.accept()) {
                        s.getInputStream().available();
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            int port = service.getLocalPort();
            CloudSpec.Role role = role("compute", 3, "compute", "centos");
            role.healthCheck = new CloudSpec.HealthCheck();
            role.healthCheck.host = "127.0.0.1";
            role.healthCheck.tcpPort = port;
            role.healthCheck.timeoutSeconds = 5;
            cloud(ns, "c", null, role);
            nodes(ns, Map.of("n0", "compute", "n1", "compute", "n2", "compute"));
            await().atMost(CONVERGE).alias("role on centos").until(() -> rollout(ns) != null
                    && "centos".equals(rollout(ns).stableImage) && "STABLE".equals(rollout(ns).phase)
                    && notReady(ns).isEmpty());

            // the service goes down and rocky is rolled: its canary never passes the probe
            service.close();
            editCloud(ns, "c", c -> c.getSpec().roles.get(0).image = new ObjectRef("rocky"));
            await().atMost(CONVERGE).alias("rolled back").until(() -> "rocky".equals(rollout(ns).failedImage)
                    && "STABLE".equals(rollout(ns).phase) && notReady(ns).isEmpty());
            CloudStatus.RolloutStatus back = rollout(ns);
            assertThat(back.stableImage).isEqualTo("centos");
            assertThat(back.failedReason).contains(ns + "/n0: no health within 5 s")
                    .contains("probe tcp 127.0.0.1:" + port);
            Condition stalled = trueCondition(ns, "c");
            assertThat(stalled.type).isEqualTo(NodeConditions.STALLED);
            assertThat(stalled.reason).isEqualTo("RolloutFailed");
            assertThat(cloudEvents(ns)).filteredOn(e -> e.getType().equals("Warning")).extracting(Event::getMessage)
                    .anyMatch(m -> m.contains("failed its health gate on 1 node(s)")
                            && m.contains("rolling back to centos"));
            // only the canary ever ran rocky, and it was re-imaged with centos
            for (String n : List.of("n1", "n2")) {
                assertThat(deploys(ns, n, "rocky")).as(n).isZero();
            }
            assertThat(deploys(ns, "n0", "rocky")).isEqualTo(1);
            assertThat(deploys(ns, "n0", "centos")).isEqualTo(2);
            for (String n : List.of("n0", "n1", "n2")) {
                assertThat(diskImage(ns, n)).as(n).isEqualTo("centos");
            }
            // held: rocky with this health check is not tried again
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                    .until(() -> deploys(ns, "n0", "rocky") == 1 && deploys(ns, "n1", "rocky") == 0);
        }
    }

    /** What the nodes and clouds say, for a failure's message. */
    static void dump(String ns) {
        client.resources(BareMetalNodeResource.class).inNamespace(ns).list().getItems().forEach(n -> System.out.println(
                "DUMP " + n.getMetadata().getName() + " " + n.getMetadata().getLabels() + " " + dev.plinth.json.Json.write(
                        n.getStatus() == null ? null : n.getStatus().conditions) + " disk=" + diskImage(ns,
                        n.getMetadata().getName())));
        client.resources(CloudResource.class).inNamespace(ns).list().getItems().forEach(c -> System.out.println(
                "DUMP " + c.getMetadata().getName() + " " + dev.plinth.json.Json.write(c.getStatus())));
        fake.journal().stream().filter(l -> l.contains(" " + ns + "/")).forEach(l -> System.out.println("DUMP " + l));
    }

    // --- fixtures ---------------------------------------------------------------------------------------------

    static void images(String ns, String... names) {
        for (String image : names) {
            DiskImageResource i = Fixtures.image(ns, image);
            i.getSpec().checksum = "sha256:" + Integer.toHexString(image.hashCode() & 0xf).repeat(64);
            client.resource(i).create();
        }
    }

    static CloudSpec.Role role(String name, int count, String label, String image) {
        CloudSpec.Role role = new CloudSpec.Role();
        role.name = name;
        role.count = count;
        role.image = new ObjectRef(image);
        role.nodeSelector = new CloudSpec.Selector();
        role.nodeSelector.matchLabels = Map.of("role", label);
        return role;
    }

    static void cloud(String ns, String name, CloudSpec.Drift drift, CloudSpec.Role... roles) {
        CloudResource cloud = new CloudResource();
        cloud.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
        cloud.setSpec(new CloudSpec());
        cloud.getSpec().drift = drift;
        cloud.getSpec().roles = List.of(roles);
        client.resource(cloud).create();
    }

    /** Nodes by name with their {@code role} label, without an image of their own: each runs its role's. */
    static void nodes(String ns, Map<String, String> roleLabels) {
        int base = 8000 + FLEETS.getAndIncrement() * 10; // boot MACs and BMCs unique across namespaces
        List<String> names = roleLabels.keySet().stream().sorted().toList();
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            client.resource(Fixtures.credentials(ns, "bmc-" + n, "admin", PASSWORD)).create();
            BareMetalNodeResource r = Fixtures.node(ns, n, base + i, null);
            r.getMetadata().setLabels(Map.of("role", roleLabels.get(n)));
            client.resource(r).create();
        }
    }

    static void relabel(String ns, String node, String role) {
        client.resources(BareMetalNodeResource.class).inNamespace(ns).withName(node).edit(n -> {
            Map<String, String> labels = new HashMap<>(n.getMetadata().getLabels());
            labels.put("role", role);
            n.getMetadata().setLabels(labels);
            return n;
        });
    }

    static void editCloud(String ns, String name, java.util.function.Consumer<CloudResource> change) {
        for (int attempt = 0; ; attempt++) {
            try {
                client.resources(CloudResource.class).inNamespace(ns).withName(name).edit(c -> {
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

    static long nodeCount(String ns) {
        return client.resources(BareMetalNodeResource.class).inNamespace(ns).list().getItems().size();
    }

    static List<String> notReady(String ns) {
        return client.resources(BareMetalNodeResource.class).inNamespace(ns).list().getItems().stream()
                .filter(n -> n.getStatus() == null || n.getStatus().conditions.stream()
                        .noneMatch(c -> c.type.equals(NodeConditions.READY) && c.status.equals("True")))
                .map(n -> n.getMetadata().getName()).sorted().toList();
    }

    /** The node's Stalled condition when it is True, else null. */
    static Condition stalled(String ns, String node) {
        BareMetalNodeResource n = client.resources(BareMetalNodeResource.class).inNamespace(ns).withName(node).get();
        return n == null || n.getStatus() == null ? null : n.getStatus().conditions.stream()
                .filter(c -> c.type.equals(NodeConditions.STALLED) && c.status.equals("True")).findFirst()
                .orElse(null);
    }

    static String diskImage(String ns, String node) {
        return fake.machine(ns + "/" + node).map(m -> m.diskImage).orElse(null);
    }

    static CloudStatus.RoleStatus roleStatus(String ns, String cloud) {
        CloudResource c = client.resources(CloudResource.class).inNamespace(ns).withName(cloud).get();
        return c == null || c.getStatus() == null || c.getStatus().roles.isEmpty() ? null : c.getStatus().roles.get(0);
    }

    static CloudStatus.RolloutStatus rollout(String ns) {
        CloudStatus.RoleStatus r = roleStatus(ns, "c");
        return r == null ? null : r.rollout;
    }

    static Condition trueCondition(String ns, String cloud) {
        CloudResource c = client.resources(CloudResource.class).inNamespace(ns).withName(cloud).get();
        return c.getStatus().conditions.stream().filter(x -> x.status.equals("True")).findFirst().orElseThrow();
    }

    /** The node's Events as {@code reason: message}, oldest first. */
    static List<String> events(String ns, String node) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> "BareMetalNode".equals(e.getInvolvedObject().getKind())
                        && node.equals(e.getInvolvedObject().getName()))
                .sorted(java.util.Comparator.comparing(e -> e.getMetadata().getCreationTimestamp()))
                .map(e -> e.getReason() + ": " + e.getMessage()).toList();
    }

    static String eventsJson(String ns) {
        return dev.plinth.json.Json.write(client.v1().events().inNamespace(ns).list().getItems());
    }

    static List<Event> cloudEvents(String ns) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> "Cloud".equals(e.getInvolvedObject().getKind())).toList();
    }

    static long deploys(String ns, String node, String image) {
        return fake.journal().stream().filter(l -> l.contains(" " + ns + "/" + node + " deploy.run ")
                && l.endsWith(" image=" + image)).count();
    }

    /** The actions of one machine in the journal, without time and name. */
    static List<String> actions(List<String> journal, String machine) {
        String key = " " + machine + " ";
        return journal.stream().filter(l -> l.contains(key)).map(l -> l.substring(l.indexOf(key) + key.length()))
                .toList();
    }

    static int indexOf(List<String> journal, String part, String end) {
        for (int i = 0; i < journal.size(); i++) {
            if (journal.get(i).contains(part) && journal.get(i).endsWith(end)) {
                return i;
            }
        }
        return -1;
    }
}
