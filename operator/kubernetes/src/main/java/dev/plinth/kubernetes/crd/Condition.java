package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import java.util.Objects;

/**
 * A kstatus condition (Ready, Reconciling, Stalled), with the generation it describes, so that Flux and Argo CD
 * compute Current / InProgress / Failed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Condition {
    @Required
    public String type;
    @Required
    @JsonPropertyDescription("True, False or Unknown")
    public String status;
    public String reason;
    public String message;
    public Long observedGeneration;
    public String lastTransitionTime;

    public Condition() {}

    public Condition(String type, boolean status, String reason, String message, long observedGeneration) {
        this.type = type;
        this.status = status ? "True" : "False";
        this.reason = reason;
        this.message = message;
        this.observedGeneration = observedGeneration;
    }

    /** Same meaning: the transition time is kept when only this changes. */
    public boolean sameAs(Condition o) {
        return o != null && Objects.equals(type, o.type) && Objects.equals(status, o.status)
                && Objects.equals(reason, o.reason) && Objects.equals(message, o.message)
                && Objects.equals(observedGeneration, o.observedGeneration);
    }
}
