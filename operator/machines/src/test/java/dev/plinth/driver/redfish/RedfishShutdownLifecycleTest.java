package dev.plinth.driver.redfish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.BareMetalNodeSpec;
import dev.plinth.api.BmcSpec;
import dev.plinth.api.DiskImage;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RootDeviceHints;
import dev.plinth.core.Decision;
import dev.plinth.core.ImageAvailability;
import dev.plinth.core.ImageRef;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.core.NodeInput;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.Outcome;
import dev.plinth.core.ProvisioningState;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.BmcInventory;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.NodeWaker;
import dev.plinth.driver.PowerState;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.reconcile.ActionExecutor;
import dev.plinth.reconcile.NodeEvents;
import dev.plinth.store.NodeEvent;
import dev.plinth.testkit.SushyFixture;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The lifecycle's graceful power-off of a running provisioned node ({@code online: false}) through the Redfish driver
 * against sushy-emulator, whose fake system driver applies {@code GracefulShutdown} 1-11 s later as an OS would:
 * the lifecycle asks, reads the power back until off, and never forces it.
 */
class RedfishShutdownLifecycleTest {
    @Test
    void aRunningNodeAskedOffShutsDownGracefullyAndIsNotForced() throws Exception {
        try (SushyFixture bmc = SushyFixture.start(SushyFixture.Options.plain());
                RedfishPowerDriver redfish = new RedfishPowerDriver(
                        RedfishClientConfig.defaults().withMinInterval(Duration.ZERO), Tls.jdkDefault());
                FakeDriver unused = new FakeDriver(FakeDriverConfig.INSTANT, null, NodeWaker.NONE,
                        Clock.systemUTC())) {
            BmcSpec spec = BmcSpec.of(bmc.address(SushyFixture.SYSTEM_1), "bmc-secret", false);
            NodeTarget target = new NodeTarget("node-1", spec, new BmcCredentials(SushyFixture.USER, bmc.password()),
                    "52:54:00:00:00:01");
            redfish.powerOn(target);
            await().atMost(Duration.ofSeconds(30)).until(() -> redfish.powerState(target) == PowerState.ON);

            DiskImage centos = new DiskImage(ObjectMeta.named("centos"), new dev.plinth.api.DiskImageSpec(
                    "http://images.example/centos.raw", "sha256:" + "a".repeat(64), dev.plinth.api.ImageFormat.RAW,
                    dev.plinth.api.Compression.NONE));
            BareMetalNode node = new BareMetalNode(ObjectMeta.named("node-1"), new BareMetalNodeSpec(spec,
                    "52:54:00:00:00:01", false, new ResourceRef("centos"), RootDeviceHints.NONE));
            NodeInput in = new NodeInput("node-1", node, centos, ImageAvailability.READY);
            LifecycleConfig config = new LifecycleConfig(3, Duration.ofMillis(200), Duration.ofSeconds(1),
                    Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofMinutes(5),
                    Duration.ofMinutes(10), Duration.ofMillis(500), Duration.ofMinutes(5), Duration.ofSeconds(45));
            NodeLifecycle lifecycle = new NodeLifecycle(config);
            ActionExecutor executor = new ActionExecutor(new Drivers(redfish, unused, unused));
            Instant start = Instant.now();
            // provisioned and running, as a deploy leaves it; Git now says online: false
            NodeRecord rec = new NodeRecord.Builder("node-1").bmc(spec).bootMACAddress("52:54:00:00:00:01")
                    .specFingerprint("before").role("").state(ProvisioningState.PROVISIONED)
                    .image(ImageRef.of(centos)).powerState(PowerState.ON).bootDevice(BootDevice.DISK)
                    .checkedAt(start).updatedAt(start).bmcInventory(BmcInventory.none(start)).build();

            List<NodeEvent> events = new ArrayList<>();
            List<String> actions = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (System.nanoTime() < deadline) {
                Instant now = Instant.now();
                Decision d = lifecycle.decide(in, rec, now);
                NodeRecord next;
                if (d instanceof Decision.Persist p) {
                    next = p.next();
                } else if (d instanceof Decision.Act a) {
                    actions.add(a.action().label());
                    Outcome o = executor.execute(a.action(), target);
                    next = lifecycle.apply(rec, a.action(), o, Instant.now()).next();
                } else if (rec.power().state() == PowerState.OFF && rec.shutdown() == null) {
                    break; // settled off
                } else {
                    Thread.sleep(Math.min(500, ((Decision.Wait) d).after().toMillis()) + 1);
                    continue;
                }
                NodeEvent e = NodeEvents.between(rec, next.toBuilder().updatedAt(Instant.now()).build());
                if (e != null) {
                    events.add(e);
                }
                rec = next;
            }
            System.out.println("actions " + actions + "; events " + events.stream().map(NodeEvent::message)
                    .toList() + "; " + Duration.between(start, Instant.now()).toMillis() + " ms");

            assertThat(rec.power().state()).isEqualTo(PowerState.OFF);
            assertThat(rec.shutdown()).isNull();
            assertThat(bmc.sushyPower(SushyFixture.SYSTEM_1)).as("as the sushy client reads it").isEqualTo("off");
            assertThat(actions).startsWith("Shutdown").contains("CheckPower").doesNotContain("PowerOff");
            assertThat(bmc.log()).contains("power state set to \"GracefulShutdown\"")
                    .doesNotContain("power state set to \"ForceOff\"");
            assertThat(events).extracting(NodeEvent::type).containsSubsequence(NodeEvents.SHUTDOWN,
                    NodeEvents.SHUTDOWN);
            assertThat(events).filteredOn(e -> e.type().equals(NodeEvents.SHUTDOWN)).last()
                    .extracting(NodeEvent::message).asString().startsWith(NodeLifecycle.SHUT_DOWN);
            assertThat(actions).as("asked once").filteredOn(a -> a.equals("Shutdown")).hasSize(1);
        }
    }
}
