package dev.plinth.driver.redfish;

import dev.plinth.api.BmcAddress;
import java.net.URI;
import java.util.List;

/**
 * Where one Redfish system is, read from an address parsed at load time.
 *
 * @param base        {@code http(s)://host:port}, no path
 * @param systemPath  {@code /redfish/v1/Systems/<id>}
 * @param uefi        {@code null} when the address does not say, else whether boot overrides ask for UEFI
 * @param verifyTls   whether the BMC's certificate is checked (always true for http, where there is none)
 */
public record RedfishEndpoint(URI base, String systemPath, Boolean uefi, boolean https, boolean verifyTls) {
    private static final RedfishAddressRules RULES = new RedfishAddressRules();

    /**
     * @throws IllegalArgumentException when the address is not one the loader lets through for Redfish (it can only
     *     come from state written by an older controller)
     */
    public static RedfishEndpoint of(BmcAddress address, boolean disableCertificateVerification) {
        List<String> problems = RULES.problems(address);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        boolean https = address.scheme().equals("redfish+https");
        String bootMode = address.options().get(RedfishAddressRules.BOOT_MODE);
        return new RedfishEndpoint(URI.create((https ? "https://" : "http://") + address.authority()),
                address.path(), bootMode == null ? null : RedfishAddressRules.uefi(bootMode), https,
                !https || !disableCertificateVerification);
    }

    /** The BMC (not the system): what calls are serialised and rate-limited by. */
    public String bmcKey() {
        return base + (verifyTls ? "" : " (certificate not verified)");
    }

    public String systemId() {
        return RedfishAddressRules.systemId(systemPath);
    }
}
