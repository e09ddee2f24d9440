package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** status of a Cloud: each role's members against its count, and the kstatus conditions. */
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
        @JsonPropertyDescription("nodes its selector selects (and no other role's)")
        public Integer members;
        @JsonPropertyDescription("members whose Ready condition is True")
        public Integer ready;
    }
}
