package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** spec of a GitSource: where the fleet's documents live. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GitSourceSpec {
    @Required
    @Pattern("^(https?|ssh|git|file)://.+$")
    @Size(max = 2048)
    @JsonPropertyDescription("repository URL: https://, ssh://, git:// or file://; no credentials in it")
    public String url;

    @Default("main")
    public String branch;

    @Default(".")
    @JsonPropertyDescription("directory in the repository whose *.yaml/*.yml documents are applied")
    public String path;

    @Default("1m")
    @Pattern("^([0-9]+(ms|s|m|h))+$")
    @JsonPropertyDescription("how often to fetch, e.g. 30s, 5m; the webhook fetches at once")
    public String interval;

    @JsonPropertyDescription("Secret in this namespace with the credentials (username/password or identity)")
    public ObjectRef secretRef;

    @JsonPropertyDescription("a push webhook that syncs at once: POST /hooks/gitsource/<namespace>/<name> on the"
            + " operator's webhook listener")
    public GitSourceWebhook webhook;

    @Default("false")
    public Boolean suspend;

    @Min(0)
    @JsonPropertyDescription("hold a revision that would take more than this many machines out of service at once"
            + " (deprovision, wipe, power off, move between roles) until annotated"
            + " plinth.dev/approve-revision=<commit>; default 10")
    public Integer holdRemovalsOver;

    @Min(0)
    @Max(100)
    @JsonPropertyDescription("hold it also when that is more than this share of the namespace's nodes (2 machines"
            + " or more); default 50")
    public Integer holdRemovalsOverPercent;
}
