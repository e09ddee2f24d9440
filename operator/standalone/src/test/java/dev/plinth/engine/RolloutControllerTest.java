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
import dev.plinth.core.fleet.RolloutState;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.reconcile.ImageCatalog;
import dev.plinth.testkit.Fixtures;
import dev.plinth.testkit.InMemoryStateStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The engine's rollouts across a restart: a failed revision stays failed, and held, in the reopened store. */
class RolloutControllerTest {
    // errorBackoff (2 s) well above the planner's rest between passes (at least 200 ms, RolloutCoordinator.gapAfter),
    // as in production (30 s): at 200 ms, equal to that rest, the canary's retry of its failed deploy raced the
    // pass that rolls the role back, and a loaded machine sometimes saw the broken image deployed twice
    private static final LifecycleConfig FAST = new LifecycleConfig(3, Duration.ofMillis(20),
            Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(20),
            Duration.ofSeconds(20), Duration.ofSeconds(60), Duration.ofMillis(50));
    private final DiskImage good = Fixtures.image("good", 'a');
    private final DiskImage broken = Fixtures.image("broken", 'b');
    private final InMemoryStateStore store = new InMemoryStateStore();
    private final FakeDriver fake = new FakeDriver(new FakeDriverConfig(Duration.ZERO, Duration.ofMillis(50),
            Duration.ofMillis(20), 0, Set.of(), Set.of(), Set.of("broken")), null, name -> wake(name),
            Clock.systemUTC());
    private NodeController controller;

    private void wake(String name) {
        NodeController c = controller;
        if (c != null) {
            c.wake(name);
        }
    }

    private NodeController start(InMemoryStateStore s) {
        controller = new NodeController(new NodeLifecycle(FAST), new Drivers(fake, fake, fake),
                name -> Optional.of(new BmcCredentials("admin", "pw")), ImageCatalog.ALWAYS_READY, s,
                Clock.systemUTC(), new EngineConfig(4, 32, Duration.ofSeconds(1)), NodeListener.NONE);
        return controller;
    }

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
        fake.close();
    }

    private DesiredState state(String revision, String image) {
        List<Resource> r = new ArrayList<>(List.of(good, broken));
        for (int i = 0; i < 3; i++) {
            r.add(Fixtures.node("node-" + i, i, null, true));
        }
        r.add(new Cloud(ObjectMeta.named("oc"), new CloudSpec(List.of(new CloudRole("compute", 3,
                new LabelSelector(Map.of("role", "compute")), new ResourceRef(image), new RolloutPolicy("1"),
                HealthCheck.DEFAULT)))));
        return DesiredState.of(revision, r);
    }

    private long deploysOf(String image) {
        return fake.journal().stream().filter(l -> l.contains(" deploy.run ") && l.endsWith("image=" + image))
                .count();
    }

    @Test
    void aFailedRevisionIsStillFailedAndHeldAfterARestart() {
        NodeController first = start(store);
        first.setDesired(state("r1", "good"));
        first.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> stable(first, "good"));
        first.setDesired(state("r2", "broken"));
        await().atMost(Duration.ofSeconds(30)).until(() -> "r2".equals(failedRevision(first))
                && stable(first, "good"));
        assertThat(deploysOf("broken")).isEqualTo(1);
        first.close();

        NodeController second = start(store.reopen());
        second.setDesired(state("r2", "broken")); // as a restart restores the revision in force
        second.start();
        assertThat(failedRevision(second)).isEqualTo("r2");
        assertThat(second.plan().images().values()).extracting(DiskImage::name).containsOnly("good");
        second.setDesired(state("r3", "broken")); // a newer commit, the same image
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(() -> deploysOf("broken") == 1);
        assertThat(second.plan().states().get("oc/compute").phase()).isEqualTo(RolloutState.Phase.STABLE);
    }

    @Test
    void aLongFleetPassRestsInProportionSoPlanningTakesAtMostAFifthOfACore() {
        assertThat(RolloutCoordinator.gapAfter(Duration.ofMillis(5))).isEqualTo(Duration.ofMillis(200));
        assertThat(RolloutCoordinator.gapAfter(Duration.ofMillis(150))).isEqualTo(Duration.ofMillis(600));
    }

    private static boolean stable(NodeController c, String image) {
        RolloutState s = c.plan().states().get("oc/compute");
        return s != null && s.phase() == RolloutState.Phase.STABLE && s.stableImage() != null
                && s.stableImage().name().equals(image) && c.records().size() == 3 && c.records().stream()
                        .allMatch(r -> r.image() != null && r.image().name().equals(image)
                                && r.state() == dev.plinth.core.ProvisioningState.PROVISIONED);
    }

    private static String failedRevision(NodeController c) {
        RolloutState s = c.plan().states().get("oc/compute");
        return s == null || s.failure() == null ? null : s.failure().revision();
    }
}
