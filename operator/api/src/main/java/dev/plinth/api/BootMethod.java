package dev.plinth.api;

import java.util.Arrays;

/**
 * How a node boots into the deploy ramdisk: from the network (PXE, then iPXE from the controller: needs DHCP and the
 * controller's boot script on the provisioning network) or from an ISO the BMC attaches as a virtual CD (Redfish
 * only; no DHCP or TFTP involved).
 */
public enum BootMethod {
    PXE("pxe"),
    VIRTUAL_MEDIA("virtualMedia");

    private final String yaml;

    BootMethod(String yaml) {
        this.yaml = yaml;
    }

    /** The name in YAML and in the CRD. */
    public String yaml() {
        return yaml;
    }

    /** The method named {@code name} as written in YAML; null when none is. */
    public static BootMethod ofYaml(String name) {
        return Arrays.stream(values()).filter(m -> m.yaml.equals(name)).findFirst().orElse(null);
    }
}
