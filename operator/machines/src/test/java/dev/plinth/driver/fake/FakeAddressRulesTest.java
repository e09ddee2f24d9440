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
                "BMC address has no Redfish system path: expected"
                        + " redfish+http://host[:port]/redfish/v1/Systems/<id>[?bootMode=uefi|legacy] like"
                        + " redfish+http://10.0.0.11/redfish/v1/Systems/1",
                "unknown Redfish address option \"x\": expected only bootMode"
                        + " (redfish+http://host[:port]/redfish/v1/Systems/<id>[?bootMode=uefi|legacy])");
        // by the Redfish driver's rules: a path that names no system is refused on the fake too
        assertThat(rules.problems(BmcAddress.parse("redfish+https://10.0.0.2/x?bootMode=legacy"))).containsExactly(
                "BMC address path /x does not name one Redfish system: expected /redfish/v1/Systems/<id>"
                        + " (redfish+https://host[:port]/redfish/v1/Systems/<id>[?bootMode=uefi|legacy])");
    }
}
