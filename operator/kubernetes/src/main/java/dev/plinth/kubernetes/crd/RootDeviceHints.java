package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;

/** Which disk the image goes to; every hint that is set must match. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RootDeviceHints {
    public String deviceName;
    public String model;
    public String vendor;
    public String serialNumber;
    public String wwn;
    @Min(0)
    @JsonPropertyDescription("smallest acceptable disk, in gigabytes")
    public Integer minSizeGigabytes;
    public Boolean rotational;
}
