package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** status of a Cloud: each role's members against its count, its rollout, and the kstatus conditions. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CloudStatus {
    public Long observedGeneration;
    public List<Condition> conditions = new ArrayList<>();
    public List<RoleStatus> roles = new ArrayList<>();

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class RoleStatus {
        public String name;
        @JsonPropertyDescription("nodes the role wants")
        public Integer count;
        @JsonPropertyDescription("nodes the role took: matching its selector (and no other role's), at most count")
        public Integer members;
        @JsonPropertyDescription("members whose Ready condition is True")
        public Integer ready;
        @JsonPropertyDescription("places no matching node fills: only labelling more nodes helps")
        public Integer shortfall;
        @JsonPropertyDescription("the role's rollout (docs/rollouts.md)")
        public RolloutStatus rollout;
    }

    /** A role's rollout as the fleet planner left it; {@code state} is what a restarted operator resumes from. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class RolloutStatus {
        @JsonPropertyDescription("STABLE, ROLLING, ROLLING_BACK or HELD")
        public String phase;
        @JsonPropertyDescription("the revision every member last ran and passed the gate with: the rollback target")
        public String stableRevision;
        public String stableImage;
        @JsonPropertyDescription("the revision being rolled out (or rolled back to)")
        public String targetRevision;
        public String targetImage;
        @JsonPropertyDescription("batches admitted in this rollout")
        public Integer batch;
        @JsonPropertyDescription("members allowed to run the target image")
        public List<String> admitted;
        @JsonPropertyDescription("admitted members that passed the health gate")
        public List<String> updated;
        @JsonPropertyDescription("admitted members that failed the health gate, with why")
        public Map<String, String> failed;
        @JsonPropertyDescription("the batches still planned, in order")
        public List<List<String>> batches;
        @JsonPropertyDescription("why nothing moves now")
        public String waiting;
        @JsonPropertyDescription("members available (settled on their image, past their gate)")
        public Integer available;
        @JsonPropertyDescription("members that must stay available: count - maxUnavailable")
        public Integer minAvailable;
        @JsonPropertyDescription("the last revision that failed its health gate and was rolled back; held until"
                + " the image or health check changes")
        public String failedRevision;
        public String failedImage;
        public String failedReason;
        public String failedAt;
        @JsonPropertyDescription("the whole rollout state (JSON), written by the operator and read back after a"
                + " restart; not for users")
        public String state;
    }
}
