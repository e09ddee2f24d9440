package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/** status of a GitSource: what was applied, what was last tried and why it was refused. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GitSourceStatus {
    public Long observedGeneration;
    public List<Condition> conditions = new ArrayList<>();
    public String lastAppliedRevision;
    public String lastAttemptedRevision;
    /** file:line: field: what is wrong, for a rejected revision */
    public List<String> problems;
    /** the revision held for approval because it takes many machines out of service at once; absent when none */
    public Held held;

    /** A revision held for approval: which, why, and each machine with what would happen to it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Held {
        public String revision;
        public String reason;
        /** {@code namespace/node: what}, e.g. {@code ns/n0: deprovision} */
        public List<String> machines;

        public Held() {}

        public Held(String revision, String reason, List<String> machines) {
            this.revision = revision;
            this.reason = reason;
            this.machines = machines;
        }
    }
}
