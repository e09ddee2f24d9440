package dev.plinth.engine;

import dev.plinth.reconcile.ImageCatalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.testkit.InMemoryStateStore;
import dev.plinth.testkit.Fixtures;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The engine against the FAKE driver: convergence, failures and concurrency, in-process and fast. */
class NodeControllerTest {
    private static final LifecycleConfig FAST = new LifecycleConfig(3, Duration.ofMillis(20),
            Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(20),
            Duration.ofSeconds(20), Duration.ofSeconds(60), Duration.ofMillis(50));

    private final DiskImage centos = Fixtures.image("centos-9", 'a');
    private NodeController controller;
    private FakeDriver fake;

    private NodeController start(FakeDriverConfig config, NodeListener listener) {
        NodeController[] self = new NodeController[1];
        fake = new FakeDriver(config, null, name -> self[0].wake(name), Clock.systemUTC());
        self[0] = new NodeController(new NodeLifecycle(FAST), new Drivers(fake, fake, fake),
                name -> Optional.of(new BmcCredentials("admin", "pw")), ImageCatalog.ALWAYS_READY,
                new InMemoryStateStore(), Clock.systemUTC(), new EngineConfig(8, 32, Duration.ofSeconds(1)),
                listener);
        controller = self[0];
        return controller;
    }

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    private static Map<ProvisioningState, Long> states(Collection<NodeRecord> records) {
        return records.stream().collect(Collectors.groupingBy(NodeRecord::state, Collectors.counting()));
    }

    @Test
    void aFleetConvergesAndEachNodeIsDeployedExactlyOnce() {
        start(FakeDriverConfig.of(Duration.ofMillis(1), Duration.ofMillis(100), Duration.ofMillis(50)),
                NodeListener.NONE);
        controller.setDesired(Fixtures.fleet("r1", 40, centos));
        controller.start();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                states(controller.records()).getOrDefault(ProvisioningState.PROVISIONED, 0L) == 40);
        Map<String, Long> runs = fake.journal().stream().filter(l -> l.contains(" deploy.run "))
                .collect(Collectors.groupingBy(l -> l.split(" ")[1], Collectors.counting()));
        assertThat(runs).hasSize(40).allSatisfy((node, count) -> assertThat(count).isEqualTo(1));
        assertThat(controller.records()).allSatisfy(r -> {
            assertThat(r.image().name()).isEqualTo("centos-9");
            assertThat(fake.machine(r.name()).orElseThrow().diskImage).isEqualTo("centos-9");
        });
    }

    @Test
    void neverTwoWorkersOnOneNode() {
        Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
        AtomicInteger overlaps = new AtomicInteger();
        start(FakeDriverConfig.of(Duration.ofMillis(2), Duration.ofMillis(50), Duration.ofMillis(20)),
                (before, after) -> {
                    String name = after != null ? after.name() : before.name();
                    AtomicInteger n = inFlight.computeIfAbsent(name, k -> new AtomicInteger());
                    if (n.incrementAndGet() > 1) {
                        overlaps.incrementAndGet();
                    }
                    Thread.yield();
                    n.decrementAndGet();
                });
        controller.setDesired(Fixtures.fleet("r1", 30, centos));
        controller.start();
        for (int i = 0; i < 200; i++) {
            controller.wake("node-" + (i % 30)); // storms of wake-ups must not double-book a node
        }
        await().atMost(Duration.ofSeconds(30)).until(() ->
                states(controller.records()).getOrDefault(ProvisioningState.PROVISIONED, 0L) == 30);
        assertThat(overlaps).hasValue(0);
    }

    @Test
    void flakyBmcsStillConverge() {
        start(new FakeDriverConfig(Duration.ZERO, Duration.ofMillis(50), Duration.ofMillis(20), 0.2, Set.of(),
                Set.of(), Set.of()), NodeListener.NONE);
        controller.setDesired(Fixtures.fleet("r1", 20, centos));
        controller.start();
        await().atMost(Duration.ofSeconds(60)).until(() ->
                states(controller.records()).getOrDefault(ProvisioningState.PROVISIONED, 0L) == 20);
        assertThat(fake.journal().stream().filter(l -> l.contains(" deploy.run ")).count()).isGreaterThanOrEqualTo(20);
    }

    @Test
    void failuresShowOnTheFailingNodesOnly() {
        start(new FakeDriverConfig(Duration.ZERO, Duration.ofMillis(50), Duration.ofMillis(20), 0,
                Set.of("node-1"), Set.of("node-2"), Set.of()), NodeListener.NONE);
        controller.setDesired(Fixtures.fleet("r1", 5, centos));
        controller.start();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                states(controller.records()).getOrDefault(ProvisioningState.PROVISIONED, 0L) == 3);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            NodeRecord unreachable = controller.record("node-1").orElseThrow();
            assertThat(unreachable.state()).isEqualTo(ProvisioningState.ERROR);
            assertThat(unreachable.error().kind()).isEqualTo(FailureKind.UNREACHABLE);
            NodeRecord wrongPassword = controller.record("node-2").orElseThrow();
            assertThat(wrongPassword.state()).isEqualTo(ProvisioningState.ERROR);
            assertThat(wrongPassword.error().kind()).isEqualTo(FailureKind.AUTHENTICATION);
            assertThat(wrongPassword.error().message()).contains("rejected the credentials").doesNotContain("pw");
        });
    }

    @Test
    void aCorruptImageNeverReachesProvisioned() {
        DiskImage bad = Fixtures.image("bad", 'c');
        start(new FakeDriverConfig(Duration.ZERO, Duration.ofMillis(30), Duration.ofMillis(10), 0, Set.of(),
                Set.of(), Set.of("bad")), NodeListener.NONE);
        controller.setDesired(Fixtures.fleet("r1", 3, bad));
        controller.start();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                states(controller.records()).getOrDefault(ProvisioningState.ERROR, 0L) == 3);
        assertThat(controller.records()).allSatisfy(r -> {
            assertThat(r.error().kind()).isEqualTo(FailureKind.DEPLOY_FAILED);
            assertThat(r.error().message()).contains("sha256");
            assertThat(r.image()).isNull();
        });
    }

    @Test
    void removingNodesPowersThemOffAndForgetsThem() {
        start(FakeDriverConfig.of(Duration.ZERO, Duration.ofMillis(30), Duration.ofMillis(10)),
                NodeListener.NONE);
        controller.setDesired(Fixtures.fleet("r1", 6, centos));
        controller.start();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                states(controller.records()).getOrDefault(ProvisioningState.PROVISIONED, 0L) == 6);
        DesiredState smaller = Fixtures.fleet("r2", 4, centos);
        controller.setDesired(smaller);
        await().atMost(Duration.ofSeconds(30)).until(() -> controller.records().size() == 4);
        for (String gone : List.of("node-4", "node-5")) {
            assertThat(fake.machine(gone).orElseThrow().power).isEqualTo(dev.plinth.driver.PowerState.OFF);
            assertThat(fake.machine(gone).orElseThrow().netbootDeploy).isNull();
        }
    }

    @Test
    void aNewImageReprovisionsTheFleet() {
        start(FakeDriverConfig.of(Duration.ZERO, Duration.ofMillis(30), Duration.ofMillis(10)),
                NodeListener.NONE);
        controller.setDesired(Fixtures.fleet("r1", 5, centos));
        controller.start();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                states(controller.records()).getOrDefault(ProvisioningState.PROVISIONED, 0L) == 5);
        DiskImage rocky = Fixtures.image("rocky-9", 'b');
        controller.setDesired(Fixtures.fleet("r2", 5, rocky));
        await().atMost(Duration.ofSeconds(30)).until(() -> controller.records().stream()
                .allMatch(r -> r.state() == ProvisioningState.PROVISIONED && r.image().name().equals("rocky-9")));
        assertThat(controller.records()).allSatisfy(r ->
                assertThat(fake.machine(r.name()).orElseThrow().diskImage).isEqualTo("rocky-9"));
    }

    @Test
    void driftChecksThatFindNothingNewAreKeptInMemoryNotStoredEachTime() {
        LifecycleConfig quickDrift = new LifecycleConfig(3, Duration.ofMillis(20), Duration.ofMillis(100),
                Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(20), Duration.ofSeconds(20),
                Duration.ofMillis(100), Duration.ofMillis(50));
        NodeController[] self = new NodeController[1];
        fake = new FakeDriver(FakeDriverConfig.INSTANT, null, name -> self[0].wake(name), Clock.systemUTC());
        InMemoryStateStore store = new InMemoryStateStore();
        self[0] = new NodeController(new NodeLifecycle(quickDrift), new Drivers(fake, fake, fake),
                name -> Optional.of(new BmcCredentials("admin", "pw")), ImageCatalog.ALWAYS_READY, store,
                Clock.systemUTC(), new EngineConfig(4, 32, Duration.ofSeconds(1)), NodeListener.NONE);
        controller = self[0];
        controller.setDesired(Fixtures.fleet("r1", 3, centos));
        controller.start();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                states(controller.records()).getOrDefault(ProvisioningState.PROVISIONED, 0L) == 3);
        NodeRecord settled = controller.record("node-0").orElseThrow();
        long version = store.loadNode("node-0").orElseThrow().version();
        // several drift checks later: read again in memory, the stored record untouched
        await().atMost(Duration.ofSeconds(10)).until(() -> controller.record("node-0").orElseThrow().power()
                .checkedAt().isAfter(settled.power().checkedAt().plusMillis(300)));
        assertThat(fake.journal()).filteredOn(l -> l.contains(" node-0 ")).isNotEmpty();
        assertThat(store.loadNode("node-0").orElseThrow().version()).isEqualTo(version);
        // a drift found is stored at once, on the version stored before
        fake.tamper("node-0", "power off", m -> m.power = dev.plinth.driver.PowerState.OFF);
        await().atMost(Duration.ofSeconds(10)).until(() -> store.loadNode("node-0").orElseThrow().version() > version);
        await().atMost(Duration.ofSeconds(10)).until(() -> fake.machine("node-0").orElseThrow().power
                == dev.plinth.driver.PowerState.ON);
    }

    @Test
    void onlyAChangeOfWhenTheBmcWasReadCountsAsReadAgain() {
        NodeRecord r = new NodeRecord.Builder("n").state(ProvisioningState.PROVISIONED)
                .powerState(dev.plinth.driver.PowerState.ON).checkedAt(java.time.Instant.EPOCH)
                .updatedAt(java.time.Instant.EPOCH).build();
        NodeRecord later = r.toBuilder().checkedAt(java.time.Instant.EPOCH.plusSeconds(60))
                .updatedAt(java.time.Instant.EPOCH.plusSeconds(60)).build();
        assertThat(NodeController.onlyReadAgain(r, later)).isTrue();
        assertThat(NodeController.onlyReadAgain(r, later.toBuilder().powerState(dev.plinth.driver.PowerState.OFF)
                .build())).isFalse();
        assertThat(NodeController.onlyReadAgain(r, later.toBuilder().message("x").build())).isFalse();
        assertThat(NodeController.onlyReadAgain(null, later)).isFalse();
    }
}
