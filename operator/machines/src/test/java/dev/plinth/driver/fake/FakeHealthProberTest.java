package dev.plinth.driver.fake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BmcSpec;
import dev.plinth.api.HealthCheck;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.NodeWaker;
import dev.plinth.driver.PowerState;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A FAKE machine answers its role's health probe for itself; any other host gets the real probe. */
class FakeHealthProberTest {
    private final NodeTarget node = new NodeTarget("n1", BmcSpec.of("ipmi://10.0.0.1:623", "bmc-n1", false),
            new BmcCredentials("admin", "pw"), "52:54:00:00:00:01");
    private final HealthCheck tcp22 = new HealthCheck(true, 22, 60);

    @Test
    void aFakeMachinePassesOnlyWhileItRunsTheOsOfItsDiskAndOtherHostsGetTheRealProbe() throws Exception {
        FakeDriverConfig config = FakeDriverConfig.of(Duration.ZERO, Duration.ofSeconds(30), Duration.ZERO);
        try (FakeDriver fake = new FakeDriver(config, null, NodeWaker.NONE, Clock.systemUTC())) {
            FakeHealthProber prober = new FakeHealthProber(fake, (host, check) -> "real probe of " + host);
            assertThat(prober.probe("n1", tcp22)).isEqualTo("real probe of n1"); // no such machine yet
            assertThat(fake.powerState(node)).isEqualTo(PowerState.OFF);
            assertThat(prober.probe("n1", tcp22)).isEqualTo("FAKE machine n1 is not running the OS of its disk");

            fake.tamper("n1", "an OS on its disk, booted", m -> {
                m.diskImage = "alpha";
                m.diskChecksum = "sha256:aa";
                m.power = PowerState.ON;
                m.osBootedAt = System.currentTimeMillis();
            });
            assertThat(prober.probe("n1", tcp22)).isNull();
            assertThat(prober.probe("127.0.0.1", tcp22)).isEqualTo("real probe of 127.0.0.1");

            fake.powerOff(node);
            assertThat(prober.probe("n1", tcp22)).isEqualTo("FAKE machine n1 is not running the OS of its disk");
        }
    }
}
