package dev.plinth.driver.redfish;

import dev.plinth.api.BmcAddress;
import dev.plinth.driver.BmcAddressRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the Redfish driver accepts: {@code redfish+http(s)://host[:port]/redfish/v1/Systems/<id>[?bootMode=uefi|legacy]}.
 * The path names the ComputerSystem (a BMC may manage several); the driver checks at first use that the BMC has it.
 * {@link RedfishEndpoint} reads the same values, so what passes here never fails there.
 */
public final class RedfishAddressRules implements BmcAddressRules {
    public static final String FORM_HTTPS = "redfish+https://host[:port]/redfish/v1/Systems/<id>[?bootMode=uefi|legacy]";
    public static final String FORM_HTTP = "redfish+http://host[:port]/redfish/v1/Systems/<id>[?bootMode=uefi|legacy]";
    static final String SYSTEMS = "/redfish/v1/Systems/";
    static final String BOOT_MODE = "bootMode";
    /** In this order in messages ("supported: ipmi, redfish+http, redfish+https"): Set.of has none. */
    private static final Set<String> SCHEMES =
            java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(List.of("redfish+http", "redfish+https")));

    @Override
    public Set<String> schemes() {
        return SCHEMES;
    }

    /** The VirtualMedia resource: InsertMedia, boot once from CD, EjectMedia ({@link RedfishPowerDriver}). */
    @Override
    public boolean virtualMedia() {
        return true;
    }

    @Override
    public List<String> forms() {
        return List.of(FORM_HTTP, FORM_HTTPS);
    }

    @Override
    public List<String> problems(BmcAddress address) {
        // Messages name the offending part, not the whole address: an option value may be a secret.
        List<String> problems = new ArrayList<>();
        String form = address.scheme().equals("redfish+http") ? FORM_HTTP : FORM_HTTPS;
        if (!schemes().contains(address.scheme())) {
            problems.add("BMC address scheme \"" + address.scheme() + "\" is not Redfish: expected " + FORM_HTTPS);
            form = FORM_HTTPS;
        }
        if (address.path().isEmpty()) {
            problems.add("BMC address has no Redfish system path: expected " + form + " like "
                    + address.scheme() + "://10.0.0.11/redfish/v1/Systems/1");
        } else if (systemId(address.path()) == null) {
            problems.add("BMC address path " + address.path() + " does not name one Redfish system: expected "
                    + SYSTEMS + "<id> (" + form + ")");
        }
        if (address.port() < 1 || address.port() > 65535) {
            problems.add("BMC address has port " + address.port() + " out of range: expected a TCP port 1-65535");
        }
        for (Map.Entry<String, String> o : address.options().entrySet()) {
            if (!o.getKey().equals(BOOT_MODE)) {
                // only the name: an unknown option's value could be anything, a password included
                problems.add("unknown Redfish address option \"" + o.getKey() + "\": expected only " + BOOT_MODE
                        + " (" + form + ")");
            } else if (uefi(o.getValue()) == null) {
                problems.add("unsupported bootMode \"" + o.getValue() + "\": expected uefi or legacy");
            }
        }
        return problems;
    }

    /** The system id of a path {@code /redfish/v1/Systems/<id>}; null for any other path. */
    static String systemId(String path) {
        if (!path.startsWith(SYSTEMS)) {
            return null;
        }
        String id = path.substring(SYSTEMS.length());
        return id.isEmpty() || id.contains("/") ? null : id;
    }

    /** Whether a {@code bootMode} value asks for UEFI; null when it is not one (uefi, efi, legacy, bios). */
    static Boolean uefi(String bootMode) {
        return switch (bootMode.toLowerCase(Locale.ROOT)) {
            case "uefi", "efi" -> true;
            case "legacy", "bios" -> false;
            default -> null;
        };
    }
}
