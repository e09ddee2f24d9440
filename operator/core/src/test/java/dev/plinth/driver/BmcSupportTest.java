package dev.plinth.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.api.BmcAddress;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BmcSupportTest {
    /** A family that takes no path. */
    record NoPath(Set<String> schemes, List<String> forms) implements BmcAddressRules {
        @Override
        public List<String> problems(BmcAddress address) {
            return address.path().isEmpty() ? List.of() : List.of("no path for " + address.scheme());
        }
    }

    private static final BmcSupport SUPPORT = new BmcSupport(List.of(
            new NoPath(Set.of("ipmi"), List.of("ipmi://host[:port]")),
            new NoPath(Set.of("amt"), List.of("amt://host"))));

    @Test
    void anAddressGoesToTheFamilyOfItsSchemeWhateverItsCase() {
        assertThat(SUPPORT.problems(BmcAddress.parse("IPMI://h"))).isEmpty();
        assertThat(SUPPORT.problems(BmcAddress.parse("Ipmi://h/x"))).containsExactly("no path for ipmi");
    }

    @Test
    void aSchemeNoFamilyServesNamesTheSupportedOnes() {
        assertThat(SUPPORT.problems(BmcAddress.parse("redfish+https://h/redfish/v1/Systems/1"))).containsExactly(
                "unsupported BMC address scheme \"redfish+https\": no power driver in this build serves it"
                        + " (supported: ipmi, amt); expected one of ipmi://host[:port] or amt://host");
    }

    @Test
    void twoFamiliesCannotClaimOneScheme() {
        assertThatThrownBy(() -> new BmcSupport(List.of(new NoPath(Set.of("ipmi"), List.of("a")),
                new NoPath(Set.of("ipmi"), List.of("b"))))).hasMessageContaining("ipmi://");
    }
}
