package dev.plinth.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.api.BmcSpec;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SchemePowerDriverTest {
    private static NodeTarget node(String address) {
        return new NodeTarget("n1", BmcSpec.of(address, "bmc-n1", false), new BmcCredentials("admin", "pw"),
                "52:54:00:00:00:01");
    }

    @Test
    void callsGoToTheDriverOfTheAddressSchemeAndOthersAreRefusedClearly() throws Exception {
        try (FakeDriver fake = new FakeDriver(FakeDriverConfig.INSTANT, null, NodeWaker.NONE, Clock.systemUTC())) {
            SchemePowerDriver power = new SchemePowerDriver(Map.of("ipmi", fake));
            power.powerOn(node("ipmi://10.0.0.1:623"));
            assertThat(power.powerState(node("ipmi://10.0.0.1:623"))).isEqualTo(PowerState.ON);
            // the scheme as parsed at load time, whatever its case (this was UNSUPPORTED when routed on the text)
            assertThat(power.powerState(node("IPMI://10.0.0.1:623"))).isEqualTo(PowerState.ON);
            assertThatThrownBy(() -> power.powerOn(node("redfish+https://10.0.0.2/redfish/v1/Systems/1")))
                    .isInstanceOfSatisfying(DriverException.class, e -> {
                        assertThat(e.kind()).isEqualTo(FailureKind.UNSUPPORTED);
                        assertThat(e.kind().retryable()).isFalse();
                        assertThat(e.getMessage()).contains("redfish+https").contains("ipmi");
                    });
        }
    }
}
