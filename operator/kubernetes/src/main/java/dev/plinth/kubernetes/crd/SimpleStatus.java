package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/** status of the resources that have no lifecycle of their own: conditions and the generation they describe. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SimpleStatus {
    public Long observedGeneration;
    public List<Condition> conditions = new ArrayList<>();
}
