package dev.plinth.driver.bmc;

import dev.plinth.driver.BmcAddressRules;
import dev.plinth.driver.PowerDriver;
import dev.plinth.driver.SchemePowerDriver;
import dev.plinth.driver.ipmi.IpmiAddressRules;
import dev.plinth.driver.ipmi.IpmiPowerDriver;
import dev.plinth.driver.redfish.RedfishAddressRules;
import dev.plinth.driver.redfish.RedfishPowerDriver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The real machines' BMCs, as both hosts wire them: {@code ipmi://} to IPMI, {@code redfish+http(s)://} to Redfish,
 * each address checked by the rules of the driver that will use it.
 */
public final class BmcPowerDrivers {
    private BmcPowerDrivers() {}

    /** The address rules of every real BMC driver. */
    public static List<BmcAddressRules> rules() {
        return List.of(new IpmiAddressRules(), new RedfishAddressRules());
    }

    /** One power driver that sends each node's calls to IPMI or Redfish by its address's scheme. */
    public static SchemePowerDriver bySchemes(IpmiPowerDriver ipmi, RedfishPowerDriver redfish) {
        Map<String, PowerDriver> byScheme = new HashMap<>();
        new IpmiAddressRules().schemes().forEach(scheme -> byScheme.put(scheme, ipmi));
        new RedfishAddressRules().schemes().forEach(scheme -> byScheme.put(scheme, redfish));
        return new SchemePowerDriver(byScheme);
    }
}
