package dev.plinth.driver.fake;

import dev.plinth.api.BmcAddress;
import dev.plinth.driver.BmcAddressRules;
import dev.plinth.driver.ipmi.IpmiAddressRules;
import dev.plinth.driver.redfish.RedfishAddressRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the FAKE driver accepts: IPMI and Redfish addresses by the real drivers' own rules. Simulated machines would
 * take anything; refusing what a real driver would keeps a fleet that works on the fake from failing on real
 * machines for its addresses.
 */
public final class FakeAddressRules implements BmcAddressRules {
    private final IpmiAddressRules ipmi = new IpmiAddressRules();
    private final RedfishAddressRules redfish = new RedfishAddressRules();

    @Override
    public Set<String> schemes() {
        return new java.util.LinkedHashSet<>(List.of("ipmi", "redfish+http", "redfish+https"));
    }

    @Override
    public List<String> forms() {
        List<String> forms = new ArrayList<>(ipmi.forms());
        forms.addAll(redfish.forms());
        return forms;
    }

    @Override
    public List<String> problems(BmcAddress address) {
        return address.scheme().equals("ipmi") ? ipmi.problems(address) : redfish.problems(address);
    }
}
