package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * status of a BareMetalNode: the public node status of both hosts ({@link dev.plinth.api.NodeStatus}), kstatus
 * conditions, and the controller's own record, from which a restarted (or newly elected) operator resumes.
 * Never a secret: credentials stay in their Secret, agent tokens in the operator.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BareMetalNodeStatus {
    @JsonPropertyDescription("the metadata.generation this status describes")
    public Long observedGeneration;
    public List<Condition> conditions = new ArrayList<>();
    @JsonPropertyDescription("REGISTERING, AVAILABLE, PROVISIONING, PROVISIONED, DEPROVISIONING or ERROR")
    public String state;
    public String step;
    @JsonPropertyDescription("ON, OFF or UNKNOWN")
    public String power;
    public Boolean powerAssumed;
    public String powerCheckedAt;
    public String bootDevice;
    @JsonPropertyDescription("the image on the node's disk")
    public String image;
    public Boolean imageVerified;
    public String targetImage;
    public String message;
    public ErrorStatus error;
    public Progress progress;
    public Map<String, Long> stepMillis;
    public String updatedAt;
    @JsonPropertyDescription("the Git revision that last set this node's spec (GitSource), if any")
    public String revision;
    @JsonPropertyDescription("resourceVersion of the credentials Secret last used; a newer one retries at once")
    public String credentialsVersion;
    @JsonPropertyDescription("the controller's record of the node (JSON): what a restarted operator resumes from")
    public String record;
    @JsonPropertyDescription("the hardware the node's deploy ramdisk last reported (CPUs, memory, disks, NICs, firmware)")
    public InventoryStatus inventory;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ErrorStatus {
        public String kind;
        public String message;
        public Integer count;
        public String retryAt;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Progress {
        public String phase;
        public Long bytesWritten;
        public Long bytesTotal;
    }
}
