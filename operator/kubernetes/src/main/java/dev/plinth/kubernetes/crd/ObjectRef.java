package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A reference by name to another object of the same namespace. */
public class ObjectRef {
    @Required
    @Pattern(Crds.DNS_SUBDOMAIN)
    @JsonPropertyDescription("name of the object, in the same namespace")
    public String name;

    public ObjectRef() {}

    public ObjectRef(String name) {
        this.name = name;
    }
}
