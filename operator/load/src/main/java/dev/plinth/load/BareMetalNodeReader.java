package dev.plinth.load;

import dev.plinth.api.BareMetalNodeSpec;
import dev.plinth.api.BmcAddress;
import dev.plinth.api.BmcSpec;
import dev.plinth.api.BootMethod;
import dev.plinth.api.DeployNetwork;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RootDeviceHints;
import dev.plinth.driver.BmcSupport;
import java.util.List;
import java.util.Locale;

/** {@code spec} of a BareMetalNode. */
final class BareMetalNodeReader {
    private BareMetalNodeReader() {}

    static final List<String> FIELDS = List.of("bmc", "bootMACAddress", "online", "image", "rootDeviceHints");
    static final List<String> BMC_FIELDS = List.of("address", "credentialsName", "disableCertificateVerification",
            "bootMethod", "deployNetwork");
    static final List<String> DEPLOY_NETWORK_FIELDS = List.of("address", "gateway");
    static final String BOOT_METHODS = "pxe (the default) or virtualMedia";
    /** Recognised only to be refused with a pointed message; never suggested for a typo. */
    static final List<String> INLINE_CREDENTIALS = List.of("username", "password");
    static final List<String> HINT_FIELDS =
            List.of("deviceName", "model", "vendor", "serialNumber", "wwn", "minSizeGigabytes", "rotational");

    static BareMetalNodeSpec read(Fields spec, BmcSupport support) {
        BmcSpec bmc = bmc(spec.mapping("bmc", true, BMC_FIELDS, INLINE_CREDENTIALS,
                "a mapping with address and credentialsName"), support);
        String mac = spec.string("bootMACAddress", true, Formats.MAC_EXPECTED, Formats::mac);
        boolean online = spec.bool("online", true);
        ResourceRef image = MetadataReader.imageRef(spec, "image", false);
        RootDeviceHints hints = hints(spec.mapping("rootDeviceHints", false, HINT_FIELDS,
                "a mapping of hints: " + String.join(", ", HINT_FIELDS)));
        // Lowercase so the MAC compares equal to what DHCP and PXE report.
        return new BareMetalNodeSpec(bmc, mac == null ? null : mac.toLowerCase(Locale.ROOT), online, image, hints);
    }

    private static BmcSpec bmc(Fields bmc, BmcSupport support) {
        for (String field : INLINE_CREDENTIALS) {
            // The value is never read, so a password cannot leak into a problem message.
            bmc.reject(field, "inline BMC credentials are not allowed (\"" + field + "\"): put the username and"
                    + " password in a secret and reference it with credentialsName");
        }
        BmcAddress address = address(bmc, support);
        String credentials = bmc.string("credentialsName", true,
                "the name of the secret holding the BMC username and password", Formats::name);
        boolean insecure = bmc.bool("disableCertificateVerification", false);
        String methodName = bmc.string("bootMethod", false, BOOT_METHODS,
                m -> BootMethod.ofYaml(m) == null ? "unknown bootMethod \"" + m + "\": expected " + BOOT_METHODS : null);
        BootMethod method = methodName == null ? BootMethod.PXE : BootMethod.ofYaml(methodName);
        if (method == BootMethod.VIRTUAL_MEDIA && address != null) {
            String problem = support.virtualMediaProblem(address);
            if (problem != null) {
                bmc.report("bootMethod", problem);
            }
        }
        DeployNetwork network = deployNetwork(bmc.mapping("deployNetwork", false, DEPLOY_NETWORK_FIELDS,
                "a mapping with address (like 192.0.2.10/24) and optionally gateway"));
        if (network != null && method != BootMethod.VIRTUAL_MEDIA) {
            bmc.report("deployNetwork", "deployNetwork is used only with bootMethod virtualMedia (a node that"
                    + " network-boots gets its address by DHCP): set bootMethod: virtualMedia or remove it");
        }
        return new BmcSpec(address, credentials, insecure, method, network);
    }

    /** The static address of the deploy ramdisk booted from virtual media; null when none (or a problem). */
    private static DeployNetwork deployNetwork(Fields n) {
        if (!n.present()) {
            return null;
        }
        String address = n.string("address", true, "an IPv4 address with its prefix length, like 192.0.2.10/24");
        String gateway = n.string("gateway", false, "an IPv4 address, like 192.0.2.1");
        if (address == null) {
            return null;
        }
        List<String> problems = DeployNetwork.problems(address, gateway);
        problems.forEach(p -> n.report(p.startsWith("gateway") ? "gateway" : "address", p));
        return problems.isEmpty() ? new DeployNetwork(address, gateway) : null;
    }

    /**
     * The address, parsed here once for everything downstream, and checked against the driver families of this
     * wiring; null (with every problem reported at its line) when it is not one they can drive.
     */
    private static BmcAddress address(Fields bmc, BmcSupport support) {
        String text = bmc.string("address", true, support.expected());
        if (text == null) return null;
        List<String> problems;
        BmcAddress address = null;
        try {
            address = BmcAddress.parse(text);
            problems = support.problems(address);
        } catch (BmcAddress.Invalid e) {
            problems = e.problems();
        }
        problems.forEach(p -> bmc.report("address", p));
        return problems.isEmpty() ? address : null;
    }

    private static RootDeviceHints hints(Fields h) {
        if (!h.present()) {
            return RootDeviceHints.NONE;
        }
        return new RootDeviceHints(
                h.string("deviceName", false, "a device path like /dev/sda"),
                h.string("model", false, "a disk model string"),
                h.string("vendor", false, "a disk vendor string"),
                h.string("serialNumber", false, "a disk serial number"),
                h.string("wwn", false, "a World Wide Name like 0x4000cca77fc4dba1"),
                h.integer("minSizeGigabytes", false, 0, Integer.MAX_VALUE, "an integer >= 0 (gigabytes)"),
                h.bool("rotational"));
    }
}
