package dev.plinth.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.CloudSpec;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.api.HealthCheck;
import dev.plinth.api.LabelSelector;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.Resource;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RolloutPolicy;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.ProvisioningState;
import dev.plinth.core.Step;
import dev.plinth.core.fleet.RolloutState;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.driver.probe.SocketHealthProber;
import dev.plinth.reconcile.ImageCatalog;
import dev.plinth.testkit.Fixtures;
import dev.plinth.testkit.InMemoryStateStore;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code healthCheck.checkIn: false}: the role's gate waits only for its probes. The FAKE machines here boot their
 * OS in 10 minutes, so no check-in comes within the test: a role that waits for it cannot move.
 */
class CheckInGateTest {
    private static final LifecycleConfig FAST = new LifecycleConfig(3, Duration.ofMillis(20),
            Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(20),
            Duration.ofMinutes(30), Duration.ofSeconds(60), Duration.ofMillis(50));
    private final DiskImage good = Fixtures.image("good", 'a');
    private final FakeDriver fake = new FakeDriver(new FakeDriverConfig(Duration.ZERO, Duration.ofMillis(50),
            Duration.ofMinutes(10), 0, Set.of(), Set.of(), Set.of()), null, this::wake, Clock.systemUTC());
    private NodeController controller;

    private void wake(String name) {
        NodeController c = controller;
        if (c != null) {
            c.wake(name);
        }
    }

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
        fake.close();
    }

    private NodeController start(DesiredState state) {
        controller = new NodeController(new NodeLifecycle(FAST), new Drivers(fake, fake, fake),
                name -> Optional.of(new BmcCredentials("admin", "pw")), ImageCatalog.ALWAYS_READY,
                new InMemoryStateStore(), Clock.systemUTC(), new EngineConfig(4, 32, Duration.ofSeconds(1)),
                NodeListener.NONE, new SocketHealthProber(Duration.ofSeconds(1)));
        controller.setDesired(state);
        controller.start();
        return controller;
    }

    private DesiredState state(HealthCheck check) {
        List<Resource> r = new ArrayList<>(List.of(good));
        for (int i = 0; i < 3; i++) {
            r.add(Fixtures.node("node-" + i, i, null, true));
        }
        r.add(new Cloud(ObjectMeta.named("oc"), new CloudSpec(List.of(new CloudRole("compute", 3,
                new LabelSelector(Map.of("role", "compute")), new ResourceRef("good"), new RolloutPolicy("1"),
                check)))));
        return DesiredState.of("r1", r);
    }

    @Test
    void withoutCheckInTheGateWaitsOnlyForTheProbes() throws Exception {
        try (ServerSocket up = new ServerSocket(0)) {
            NodeController c = start(state(new HealthCheck(false, up.getLocalPort(), null, "/", "127.0.0.1", 30)));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                RolloutState s = c.plan().states().get("oc/compute");
                return s != null && s.phase() == RolloutState.Phase.STABLE && s.stableImage() != null
                        && c.records().size() == 3 && c.records().stream()
                                .allMatch(rec -> rec.state() == ProvisioningState.PROVISIONED);
            });
            // every node went through, one batch after another, with no OS booted yet
            assertThat(c.plan().states().get("oc/compute").passed()).hasSize(3);
            assertThat(fake.osRunning("node-0")).contains(false);
        }
    }

    @Test
    void withCheckInTheGateWaitsForIt() throws Exception {
        try (ServerSocket up = new ServerSocket(0)) {
            NodeController c = start(state(new HealthCheck(true, up.getLocalPort(), null, "/", "127.0.0.1", 30)));
            await().atMost(Duration.ofSeconds(30)).until(() -> c.records().stream()
                    .anyMatch(rec -> rec.operation().step() == Step.AWAIT_CHECK_IN));
            Thread.sleep(1500);
            // the canary waits for an OS that has not booted: nothing passed, the others not admitted
            assertThat(c.records()).noneMatch(rec -> rec.state() == ProvisioningState.PROVISIONED);
            assertThat(c.plan().states().get("oc/compute").passed()).isEmpty();
        }
    }
}
