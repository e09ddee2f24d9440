package dev.plinth.driver;

import dev.plinth.api.BmcAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The power driver families one wiring of the controller has: given by the host (standalone, CLI) to the loader so
 * that an address no family serves, or that its family refuses, is rejected with the revision.
 */
public final class BmcSupport {
    private final Map<String, BmcAddressRules> byScheme = new LinkedHashMap<>();
    private final List<String> forms = new ArrayList<>();

    public BmcSupport(List<? extends BmcAddressRules> families) {
        for (BmcAddressRules f : families) {
            for (String scheme : f.schemes()) {
                if (byScheme.putIfAbsent(scheme, f) != null) {
                    throw new IllegalArgumentException("two driver families claim the " + scheme + ":// scheme");
                }
            }
            forms.addAll(f.forms());
        }
    }

    public Set<String> schemes() {
        return byScheme.keySet();
    }

    /** How the supported addresses are written, e.g. {@code ipmi://host[:port][?bootMode=uefi|legacy]}. */
    public String expected() {
        return forms.size() == 1 ? forms.get(0)
                : "one of " + String.join(", ", forms.subList(0, forms.size() - 1)) + " or " + forms.get(forms.size() - 1);
    }

    /** Every reason this build cannot drive a BMC at {@code address}; empty when it can. */
    public List<String> problems(BmcAddress address) {
        BmcAddressRules family = byScheme.get(address.scheme());
        if (family == null) {
            return List.of("unsupported BMC address scheme \"" + address.scheme()
                    + "\": no power driver in this build serves it (supported: " + String.join(", ", schemes())
                    + "); expected " + expected());
        }
        return family.problems(address);
    }

    /**
     * Why a node at {@code address} cannot boot from virtual media ({@code spec.bmc.bootMethod: virtualMedia}), or
     * null when it can: only a family with virtual media (Redfish) can attach the deploy ISO.
     */
    public String virtualMediaProblem(BmcAddress address) {
        BmcAddressRules family = byScheme.get(address.scheme());
        if (family == null || family.virtualMedia()) {
            return null; // an unsupported scheme is reported by problems() already
        }
        List<String> able = new ArrayList<>();
        byScheme.forEach((scheme, f) -> {
            if (f.virtualMedia()) {
                able.add(scheme + "://");
            }
        });
        return "bootMethod virtualMedia needs a BMC with virtual media, and " + address.scheme()
                + ":// has none: use a Redfish address (" + (able.isEmpty() ? "none in this build" : String.join(" or ", able))
                + ") or bootMethod pxe";
    }
}
