package dev.plinth.driver.ipmi;

import dev.plinth.api.BmcAddress;
import java.util.List;

/**
 * Where and how to reach one IPMI BMC, read from an address parsed at load time (never from text again).
 *
 * @param efi {@code null} when the address does not say, else whether boot flags ask for EFI boot
 */
public record IpmiEndpoint(String host, int port, Boolean efi) {
    public static final int DEFAULT_PORT = 623;
    private static final IpmiAddressRules RULES = new IpmiAddressRules();

    /**
     * @throws IllegalArgumentException when the address is not one the loader lets through for IPMI (it can only
     *     come from state written by an older controller)
     */
    public static IpmiEndpoint of(BmcAddress address) {
        List<String> problems = RULES.problems(address);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        String bootMode = address.options().get(IpmiAddressRules.BOOT_MODE);
        return new IpmiEndpoint(address.host(), address.port(), bootMode == null ? null : IpmiAddressRules.efi(bootMode));
    }

    /** host:port, with brackets around an IPv6 literal. */
    public String authority() {
        return BmcAddress.authority(host, port);
    }
}
