package dev.plinth.engine;

import dev.plinth.reconcile.ImageCatalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.BareMetalNodeSpec;
import dev.plinth.api.BmcSpec;
import dev.plinth.api.DesiredState;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.RootDeviceHints;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.NodeWaker;
import dev.plinth.driver.PowerState;
import dev.plinth.driver.SchemePowerDriver;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.driver.ipmi.IpmiPowerDriver;
import dev.plinth.testkit.InMemoryStateStore;
import dev.plinth.testkit.IpmiSimFixture;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What an operator sees in node status when a BMC misbehaves, with the real IPMI client against a real ipmi_sim:
 * a good BMC registers, a wrong password and an unreachable BMC end in ERROR with a clear kind and message, and
 * nothing is retried before its backoff (no thrashing).
 */
class IpmiNodeStatusTest {
    private static final LifecycleConfig CONFIG = new LifecycleConfig(3, Duration.ofMillis(50), Duration.ofMillis(200),
            Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ofMinutes(1),
            Duration.ofSeconds(60), Duration.ofMillis(200));

    private static BareMetalNode node(String name, String address, int mac) {
        return new BareMetalNode(ObjectMeta.named(name), new BareMetalNodeSpec(BmcSpec.of(address, "bmc-" + name,
                false), String.format("52:54:00:00:00:%02x", mac), true, null, RootDeviceHints.NONE));
    }

    /** Same length (IPMI caps passwords at 20 bytes), one character different. */
    private static String wrong(String password) {
        return (password.charAt(0) == 'x' ? "y" : "x") + password.substring(1);
    }

    @Test
    void goodWrongPasswordAndUnreachableBmcs() throws Exception {
        IpmiSimFixture.skipUnlessInstalled();
        try (IpmiSimFixture bmc = IpmiSimFixture.start();
                IpmiPowerDriver ipmi = new IpmiPowerDriver();
                FakeDriver unused = new FakeDriver(FakeDriverConfig.INSTANT, null, NodeWaker.NONE, Clock.systemUTC())) {
            String closed = "ipmi://127.0.0.1:" + IpmiSimFixture.freeUdpPort();
            Map<String, BmcCredentials> secrets = Map.of(
                    "bmc-good", new BmcCredentials(bmc.user(), bmc.password()),
                    "bmc-wrong", new BmcCredentials(bmc.user(), wrong(bmc.password())),
                    "bmc-gone", new BmcCredentials(bmc.user(), bmc.password()));
            NodeController controller = new NodeController(new NodeLifecycle(CONFIG),
                    new Drivers(new SchemePowerDriver(Map.of("ipmi", ipmi)), unused, unused),
                    name -> Optional.ofNullable(secrets.get(name)), ImageCatalog.ALWAYS_READY,
                    new InMemoryStateStore(), Clock.systemUTC(), new EngineConfig(4, 32, Duration.ofSeconds(5)),
                    NodeListener.NONE);
            try {
                controller.setDesired(DesiredState.of("r1", List.of(node("good", bmc.address(), 1),
                        node("wrong", bmc.address(), 2), node("gone", closed, 3))));
                controller.start();
                await().atMost(Duration.ofSeconds(60)).until(() -> controller.records().stream()
                        .allMatch(r -> r.state() == ProvisioningState.AVAILABLE
                                || r.state() == ProvisioningState.ERROR));

                NodeRecord good = controller.record("good").orElseThrow();
                assertThat(good.state()).isEqualTo(ProvisioningState.AVAILABLE);
                assertThat(good.power().state().name().toLowerCase()).isEqualTo(bmc.ipmitoolPower());

                NodeRecord wrong = controller.record("wrong").orElseThrow();
                assertThat(wrong.state()).isEqualTo(ProvisioningState.ERROR);
                assertThat(wrong.error().kind()).isEqualTo(FailureKind.AUTHENTICATION);
                assertThat(wrong.error().message()).contains("rejected the credentials").doesNotContain(bmc.password());

                NodeRecord gone = controller.record("gone").orElseThrow();
                assertThat(gone.state()).isEqualTo(ProvisioningState.ERROR);
                assertThat(gone.error().kind()).isIn(FailureKind.UNREACHABLE, FailureKind.TIMEOUT);

                // no thrashing: within the error backoff nothing is tried again
                Thread.sleep(2_000);
                assertThat(controller.record("wrong").orElseThrow().error().count()).isEqualTo(1);
                assertThat(controller.record("gone").orElseThrow().error().count()).isEqualTo(1);
                assertThat(controller.record("wrong").orElseThrow().operation().notBefore()).isAfter(java.time.Instant.now());
            } finally {
                controller.close();
            }
        }
    }
}
