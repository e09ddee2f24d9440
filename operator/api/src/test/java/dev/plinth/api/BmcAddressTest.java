package dev.plinth.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class BmcAddressTest {

    @Test
    void schemeAndHostAreLowerCasedAndThePortDefaultsPerScheme() {
        BmcAddress a = BmcAddress.parse("IPMI://BMC-1.Lab");
        assertThat(a.scheme()).isEqualTo("ipmi");
        assertThat(a.host()).isEqualTo("bmc-1.lab");
        assertThat(a.port()).isEqualTo(623);
        assertThat(a.path()).isEmpty();
        assertThat(a.options()).isEmpty();
        assertThat(a.text()).isEqualTo("IPMI://BMC-1.Lab");
        assertThat(a.key()).isEqualTo("ipmi://bmc-1.lab:623");

        assertThat(BmcAddress.parse("redfish+https://10.0.0.1/redfish/v1/Systems/1/").port()).isEqualTo(443);
        assertThat(BmcAddress.parse("Redfish+HTTP://10.0.0.1/x").port()).isEqualTo(80);
        assertThat(BmcAddress.parse("idrac://10.0.0.1").port()).as("no default known").isEqualTo(-1);
    }

    @Test
    void pathOptionsAndIpv6() {
        BmcAddress a = BmcAddress.parse("ipmi://[::1]:700/?bootMode=uefi&x=");
        assertThat(a.host()).isEqualTo("::1");
        assertThat(a.authority()).isEqualTo("[::1]:700");
        assertThat(a.path()).isEmpty();
        assertThat(a.options()).containsExactly(Map.entry("bootMode", "uefi"), Map.entry("x", ""));
        assertThat(BmcAddress.parse("redfish+https://h:8443/redfish/v1/Systems/1/").key())
                .isEqualTo("redfish+https://h:8443/redfish/v1/Systems/1");
    }

    @Test
    void equalityIsOnTheWrittenTextSoARespellingIsASpecChange() {
        assertThat(BmcAddress.parse("ipmi://h")).isEqualTo(BmcAddress.parse("ipmi://h"))
                .hasSameHashCodeAs(BmcAddress.parse("ipmi://h"));
        assertThat(BmcAddress.parse("ipmi://h")).isNotEqualTo(BmcAddress.parse("IPMI://h"));
        assertThat(BmcAddress.parse("ipmi://h").key()).isEqualTo(BmcAddress.parse("IPMI://h:623/").key());
        assertThat(BmcAddress.parse("ipmi://h")).hasToString("ipmi://h");
    }

    @Test
    void everyProblemIsReportedInWords() {
        assertThatThrownBy(() -> BmcAddress.parse("ipmi://h:0?a&b=1&b=2#frag"))
                .isInstanceOfSatisfying(BmcAddress.Invalid.class, e -> assertThat(e.problems()).containsExactly(
                        "BMC address \"ipmi://h:0?a&b=1&b=2#frag\" has port 0 out of range: expected a port 1-65535",
                        "BMC address \"ipmi://h:0?a&b=1&b=2#frag\" has a fragment (#frag): expected "
                                + BmcAddress.GRAMMAR,
                        "BMC address option \"a\" is not name=value: expected " + BmcAddress.GRAMMAR,
                        "BMC address option \"b\" is given twice: expected each option once"));
        assertThatThrownBy(() -> BmcAddress.parse("10.0.0.1")).hasMessage(
                "malformed BMC address \"10.0.0.1\": expected " + BmcAddress.GRAMMAR);
        assertThatThrownBy(() -> BmcAddress.parse("ipmi:///x")).hasMessageContaining("has no valid host");
        assertThatThrownBy(() -> BmcAddress.parse(" ")).hasMessageStartingWith("empty BMC address");
    }

    @Test
    void credentialsAreRefusedWithoutBeingEchoed() {
        for (String text : new String[] {"ipmi://admin:hunter2@h", "ipmi://admin:hunter2@h:0", "ip mi://a:hunter2@h"}) {
            assertThatThrownBy(() -> BmcAddress.parse(text)).hasMessageNotContaining("hunter2");
        }
        assertThatThrownBy(() -> BmcAddress.parse("ipmi://admin:hunter2@h"))
                .hasMessageStartingWith("credentials are not allowed in the BMC address");
    }
}
