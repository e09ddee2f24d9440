package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * How to reach the BMC. {@code username} and {@code password} are in the schema only so that the API server can
 * refuse them with a message saying where credentials go (pruning would drop them silently).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.username) && !has(self.password)",
        message = "inline BMC credentials are refused: put username and password in the Secret named by credentialsName")
@ValidationRule(value = "!has(self.bootMethod) || self.bootMethod == 'pxe' || self.address.startsWith('redfish+')",
        message = "bootMethod virtualMedia needs a BMC with virtual media: a Redfish address (redfish+http:// or"
                + " redfish+https://), not this one; or bootMethod pxe")
@ValidationRule(value = "!has(self.deployNetwork) || (has(self.bootMethod) && self.bootMethod == 'virtualMedia')",
        message = "deployNetwork is used only with bootMethod virtualMedia (a node that network-boots gets its"
                + " address by DHCP)")
public class BmcSpec {
    @Required
    @Pattern(Crds.BMC_ADDRESS)
    @Size(max = 2048)
    @JsonPropertyDescription("scheme://host[:port][/path][?options], e.g. ipmi://10.0.0.11:623; no credentials")
    public String address;

    @Required
    @Pattern(Crds.DNS_SUBDOMAIN)
    @Size(max = 253)
    @JsonPropertyDescription("the Secret in this namespace holding the BMC's username and password")
    public String credentialsName;

    @Default("false")
    @JsonPropertyDescription("for Redfish over https: do not verify the BMC's certificate")
    public Boolean disableCertificateVerification;

    @Default("pxe")
    @JsonPropertyDescription("how the node boots into the deploy ramdisk: pxe (from the network: DHCP and the"
            + " controller's iPXE script) or virtualMedia (from a per-deploy ISO the BMC attaches as a CD; Redfish only)")
    public BootMethod bootMethod;

    @JsonPropertyDescription("with virtualMedia: the deploy ramdisk's static IPv4 address on the boot NIC, so no DHCP"
            + " is needed; without it the ramdisk asks DHCP")
    public DeployNetwork deployNetwork;

    @JsonPropertyDescription("refused: credentials belong in the Secret named by credentialsName")
    public String username;

    @JsonPropertyDescription("refused: credentials belong in the Secret named by credentialsName")
    public String password;

    public enum BootMethod {
        @JsonProperty("pxe") PXE,
        @JsonProperty("virtualMedia") VIRTUAL_MEDIA
    }

    /** The deploy ramdisk's static address (dev.plinth.api.DeployNetwork checks it further). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class DeployNetwork {
        @Required
        @Pattern(Crds.IPV4_CIDR)
        @JsonPropertyDescription("IPv4 address with prefix length, e.g. 192.0.2.10/24")
        public String address;

        @Pattern(Crds.IPV4)
        @JsonPropertyDescription("IPv4 gateway to the controller, in the address's subnet; omit when on the same subnet")
        public String gateway;
    }
}
