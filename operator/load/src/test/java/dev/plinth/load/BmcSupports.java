package dev.plinth.load;

import dev.plinth.driver.BmcSupport;
import dev.plinth.driver.bmc.BmcPowerDrivers;
import dev.plinth.driver.fake.FakeAddressRules;
import java.util.List;

/** The address rules each host passes the loader, by driver name, as standalone's {@code --driver} chooses them. */
final class BmcSupports {
    private BmcSupports() {}

    static BmcSupport forDriver(String driver) {
        return switch (driver) {
            case "ipmi" -> new BmcSupport(BmcPowerDrivers.rules());
            case "fake" -> new BmcSupport(List.of(new FakeAddressRules()));
            default -> throw new IllegalArgumentException("unknown driver " + driver);
        };
    }
}
