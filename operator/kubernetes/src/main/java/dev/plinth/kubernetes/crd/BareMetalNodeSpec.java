package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** spec of a BareMetalNode: the field names of docs/yaml-reference.md. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BareMetalNodeSpec {
    @Required
    public BmcSpec bmc;

    @Required
    @Pattern(Crds.MAC)
    @JsonPropertyDescription("MAC address of the NIC the machine network-boots from, e.g. 52:54:00:00:00:01")
    public String bootMACAddress;

    @Default("true")
    @JsonPropertyDescription("powered on once provisioned")
    public Boolean online;

    @JsonPropertyDescription("the DiskImage to run; else the image of a Cloud role that selects the node")
    public ObjectRef image;

    public RootDeviceHints rootDeviceHints;
}
