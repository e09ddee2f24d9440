package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.List;
import java.util.Map;

/** spec of a Cloud: roles of nodes, each with its image, rollout and health check. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CloudSpec {
    @Required
    @Size(max = 64)
    @ValidationRule(value = "self.all(r, self.exists_one(s, s.name == r.name))",
            message = "role names must be unique in a cloud")
    public List<Role> roles;

    @JsonPropertyDescription("what the operator does when a member's machine differs from its spec (powered off,"
            + " booting from the network, another image checked in): heal (the default) or report; a role's own"
            + " drift wins")
    public Drift drift;

    /** The drift policy ({@code dev.plinth.api.DriftPolicy}); lower case as in Git. */
    public enum Drift {
        @JsonProperty("heal") HEAL,
        @JsonProperty("report") REPORT
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Role {
        @Required
        @Pattern(Crds.DNS_LABEL)
        @Size(max = 63)
        public String name;

        @Required
        @Min(0)
        @JsonPropertyDescription("how many nodes the role wants")
        public Integer count;

        @JsonPropertyDescription("nodes carrying every label; absent selects no node, empty is refused")
        public Selector nodeSelector;

        @Required
        public ObjectRef image;

        @Size(max = 317)
        @JsonPropertyDescription("spread the members over this label's values")
        public String failureDomainLabel;

        public Rollout rollout;

        public HealthCheck healthCheck;

        @JsonPropertyDescription("this role's drift policy: heal or report; default the Cloud's")
        public Drift drift;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "has(self.matchLabels) && size(self.matchLabels) > 0",
            message = "an empty nodeSelector is refused: it would select every node; name at least one label")
    public static class Selector {
        @Size(max = 32)
        public Map<String, String> matchLabels;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Rollout {
        @JsonPropertyDescription("a count (1) or a percentage of the role's count (\"25%\"); default 1; 0 is refused")
        // checked by the operator (Translate.problems: the Cloud stalls, the role is not rolled out): a CEL rule
        // on an int-or-string costs more than the API server allows
        public IntOrString maxUnavailable;

        @Min(0)
        @JsonPropertyDescription("wait after each batch passed; default 0")
        public Integer pauseSeconds;

        @Size(max = 317)
        @JsonPropertyDescription("roll one value of this label at a time (HA pairs)")
        public String partitionLabel;

        @Min(0)
        @JsonPropertyDescription("gate failures tolerated before rolling back; default 0")
        public Integer maxFailures;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class HealthCheck {
        @Default("true")
        public Boolean checkIn;
        @Min(1)
        @Max(65535)
        public Integer tcpPort;
        @Min(1)
        @Max(65535)
        @JsonPropertyDescription("GET httpPath must answer 2xx")
        public Integer httpPort;
        @Pattern("^/.*")
        @JsonPropertyDescription("default /")
        public String httpPath;
        @Size(max = 253)
        @JsonPropertyDescription("what is probed; {node} is the node's name (default \"{node}\")")
        public String host;
        @Min(1)
        @Default("600")
        public Integer timeoutSeconds;
    }
}
