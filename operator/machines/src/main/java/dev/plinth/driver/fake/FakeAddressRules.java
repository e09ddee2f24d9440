package dev.plinth.driver.fake;

import dev.plinth.api.BmcAddress;
import dev.plinth.driver.BmcAddressRules;
import dev.plinth.driver.ipmi.IpmiAddressRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the FAKE driver accepts: IPMI addresses by the IPMI driver's own rules, and Redfish addresses
 * ({@code redfish+http(s)://host[:port]/path}, the path naming the system) so demos can show a mixed fleet before a
 * Redfish driver exists. Simulated machines would take anything; refusing what a real driver would keeps a fleet
 * that works on the fake from failing on real machines for its addresses.
 */
public final class FakeAddressRules implements BmcAddressRules {
    private static final String REDFISH = "redfish+https://host[:port]/path";
    private final IpmiAddressRules ipmi = new IpmiAddressRules();

    @Override
    public Set<String> schemes() {
        return Set.of("ipmi", "redfish+http", "redfish+https");
    }

    @Override
    public List<String> forms() {
        return List.of(IpmiAddressRules.FORM, "redfish+http://host[:port]/path", REDFISH);
    }

    @Override
    public List<String> problems(BmcAddress address) {
        if (address.scheme().equals("ipmi")) {
            return ipmi.problems(address);
        }
        List<String> problems = new ArrayList<>();
        String form = address.scheme() + "://host[:port]/path";
        if (address.path().isEmpty()) {
            problems.add("BMC address has no Redfish system path: expected " + form + " like "
                    + address.scheme() + "://10.0.0.11/redfish/v1/Systems/1");
        }
        for (String name : address.options().keySet()) {
            problems.add("unknown Redfish address option \"" + name + "\": expected none (" + form + ")");
        }
        return problems;
    }
}
