package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** spec.webhook of a GitSource: the Secret whose token the Git server signs its push webhooks with. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GitSourceWebhook {
    @Required
    @Pattern(Crds.DNS_SUBDOMAIN)
    @JsonPropertyDescription("Secret in this namespace whose key 'token' signs the calls: GitHub/Gitea HMAC-SHA256"
            + " (X-Hub-Signature-256: sha256=...) or GitLab's X-Gitlab-Token")
    public String secretName;
}
