package dev.plinth.engine;

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
import dev.plinth.driver.SchemePowerDriver;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.driver.redfish.RedfishClientConfig;
import dev.plinth.driver.redfish.RedfishPowerDriver;
import dev.plinth.driver.redfish.Tls;
import dev.plinth.reconcile.ImageCatalog;
import dev.plinth.testkit.InMemoryStateStore;
import dev.plinth.testkit.SushyFixture;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What an operator sees in node status for Redfish BMCs, with the real driver against sushy-emulator, routed by
 * address scheme as standalone wires it: a good BMC registers; a wrong password, a system id the BMC lacks and a
 * certificate nobody trusts each end in ERROR with their kind and a message that names the problem.
 */
class RedfishNodeStatusTest {
    private static final LifecycleConfig CONFIG = new LifecycleConfig(3, Duration.ofMillis(50), Duration.ofMillis(200),
            Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ofMinutes(1),
            Duration.ofSeconds(60), Duration.ofMillis(200));

    private static BareMetalNode node(String name, String address, boolean insecure, int mac) {
        return new BareMetalNode(ObjectMeta.named(name), new BareMetalNodeSpec(BmcSpec.of(address, "bmc-" + name,
                insecure), String.format("52:54:00:00:00:%02x", mac), true, null, RootDeviceHints.NONE));
    }

    @Test
    void goodWrongPasswordUnknownSystemAndUntrustedCertificate() throws Exception {
        try (SushyFixture http = SushyFixture.start(SushyFixture.Options.plain());
                SushyFixture https = SushyFixture.start(SushyFixture.Options.plain().withHttps());
                RedfishPowerDriver redfish = new RedfishPowerDriver(RedfishClientConfig.defaults(), Tls.jdkDefault());
                FakeDriver unused = new FakeDriver(FakeDriverConfig.INSTANT, null, NodeWaker.NONE, Clock.systemUTC())) {
            BmcCredentials good = new BmcCredentials(http.user(), http.password());
            Map<String, BmcCredentials> secrets = Map.of(
                    "bmc-good", good,
                    "bmc-wrong", new BmcCredentials(http.user(), "x" + http.password()),
                    "bmc-nosystem", good,
                    "bmc-untrusted", new BmcCredentials(https.user(), https.password()),
                    "bmc-exempt", new BmcCredentials(https.user(), https.password()));
            NodeController controller = new NodeController(new NodeLifecycle(CONFIG),
                    new Drivers(new SchemePowerDriver(Map.of("redfish+http", redfish, "redfish+https", redfish)),
                            unused, unused),
                    name -> Optional.ofNullable(secrets.get(name)), ImageCatalog.ALWAYS_READY,
                    new InMemoryStateStore(), Clock.systemUTC(), new EngineConfig(4, 32, Duration.ofSeconds(5)),
                    NodeListener.NONE);
            try {
                controller.setDesired(DesiredState.of("r1", List.of(
                        node("good", http.address(SushyFixture.SYSTEM_1), false, 1),
                        node("wrong", http.address(SushyFixture.SYSTEM_2), false, 2),
                        node("nosystem", http.address("7"), false, 3),
                        node("untrusted", https.address(SushyFixture.SYSTEM_1), false, 4),
                        node("exempt", https.address(SushyFixture.SYSTEM_2), true, 5))));
                controller.start();
                await().atMost(Duration.ofSeconds(60)).until(() -> controller.records().size() == 5
                        && controller.records().stream().allMatch(r -> r.state() == ProvisioningState.AVAILABLE
                        || r.state() == ProvisioningState.ERROR));

                assertThat(controller.record("good").orElseThrow().state()).isEqualTo(ProvisioningState.AVAILABLE);
                assertThat(controller.record("exempt").orElseThrow().state()).isEqualTo(ProvisioningState.AVAILABLE);
                // the BMC's inventory was read when the node was first seen, and kept
                var inventory = controller.record("good").orElseThrow().bmcInventory();
                assertThat(inventory.manufacturer()).isEqualTo("Sushy Emulator");
                assertThat(inventory.nics()).extracting(n -> n.mac()).containsExactly("52:54:00:00:00:01");
                assertThat(inventory.unavailable()).contains("Processors: not offered");

                NodeRecord wrong = controller.record("wrong").orElseThrow();
                assertThat(wrong.state()).isEqualTo(ProvisioningState.ERROR);
                assertThat(wrong.error().kind()).isEqualTo(FailureKind.AUTHENTICATION);
                assertThat(wrong.error().message()).contains("rejected the credentials").doesNotContain(http.password());

                NodeRecord nosystem = controller.record("nosystem").orElseThrow();
                assertThat(nosystem.state()).isEqualTo(ProvisioningState.ERROR);
                assertThat(nosystem.error().kind()).isEqualTo(FailureKind.UNSUPPORTED);
                assertThat(nosystem.error().message()).contains("has no system 7").contains(SushyFixture.SYSTEM_1);

                NodeRecord untrusted = controller.record("untrusted").orElseThrow();
                assertThat(untrusted.state()).isEqualTo(ProvisioningState.ERROR);
                assertThat(untrusted.error().kind()).isEqualTo(FailureKind.PROTOCOL);
                assertThat(untrusted.error().message()).contains("certificate is not trusted");
            } finally {
                controller.close();
            }
        }
    }
}
