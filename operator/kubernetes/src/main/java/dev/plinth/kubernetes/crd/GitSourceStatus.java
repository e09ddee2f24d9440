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
}
