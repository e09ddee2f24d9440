package dev.plinth.driver.ipmi;

import dev.plinth.api.BmcAddress;
import dev.plinth.driver.BmcAddressRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the IPMI driver accepts: {@code ipmi://host[:port][?bootMode=uefi|legacy]}, no path, UDP port 1-65535 (623
 * by default). {@link IpmiEndpoint} reads the same option values, so what passes here never fails there.
 */
public final class IpmiAddressRules implements BmcAddressRules {
    public static final String FORM = "ipmi://host[:port][?bootMode=uefi|legacy]";
    static final String BOOT_MODE = "bootMode";

    @Override
    public Set<String> schemes() {
        return Set.of("ipmi");
    }

    @Override
    public List<String> forms() {
        return List.of(FORM);
    }

    @Override
    public List<String> problems(BmcAddress address) {
        // Messages name the offending part, not the whole address: an option value may be a secret.
        List<String> problems = new ArrayList<>();
        if (!address.scheme().equals("ipmi")) {
            problems.add("BMC address scheme \"" + address.scheme() + "\" is not IPMI: expected " + FORM);
        }
        if (!address.path().isEmpty()) {
            problems.add("BMC address has a path (" + address.path() + "), but IPMI takes none: expected " + FORM);
        }
        if (address.port() < 1 || address.port() > 65535) {
            problems.add("BMC address has port " + address.port()
                    + " out of range: expected a UDP port 1-65535 (623 by default)");
        }
        for (Map.Entry<String, String> o : address.options().entrySet()) {
            if (!o.getKey().equals(BOOT_MODE)) {
                // only the name: an unknown option's value could be anything, a password included
                problems.add("unknown IPMI address option \"" + o.getKey() + "\": expected only " + BOOT_MODE
                        + " (" + FORM + ")");
            } else if (efi(o.getValue()) == null) {
                problems.add("unsupported bootMode \"" + o.getValue() + "\": expected uefi or legacy");
            }
        }
        return problems;
    }

    /** Whether a {@code bootMode} value asks for EFI boot; null when it is not one (uefi, efi, legacy, bios). */
    static Boolean efi(String bootMode) {
        return switch (bootMode.toLowerCase(Locale.ROOT)) {
            case "uefi", "efi" -> true;
            case "legacy", "bios" -> false;
            default -> null;
        };
    }
}
