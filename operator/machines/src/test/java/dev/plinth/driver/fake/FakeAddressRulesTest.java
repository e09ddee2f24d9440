package dev.plinth.driver.fake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BmcAddress;
import org.junit.jupiter.api.Test;

class FakeAddressRulesTest {
    private final FakeAddressRules rules = new FakeAddressRules();

    @Test
    void takesIpmiByTheIpmiRulesAndRedfishWithASystemPath() {
        assertThat(rules.schemes()).containsExactlyInAnyOrder("ipmi", "redfish+http", "redfish+https");
        assertThat(rules.problems(BmcAddress.parse("ipmi://10.0.0.1:623"))).isEmpty();
        assertThat(rules.problems(BmcAddress.parse("redfish+https://10.0.0.2/redfish/v1/Systems/1"))).isEmpty();
        assertThat(rules.problems(BmcAddress.parse("ipmi://10.0.0.1?bootMode=pxe")))
                .containsExactly("unsupported bootMode \"pxe\": expected uefi or legacy");
        assertThat(rules.problems(BmcAddress.parse("Redfish+HTTP://10.0.0.2?x=1"))).containsExactly(
                "BMC address has no Redfish system path: expected redfish+http://host[:port]/path like"
                        + " redfish+http://10.0.0.11/redfish/v1/Systems/1",
                "unknown Redfish address option \"x\": expected none (redfish+http://host[:port]/path)");
    }
}
