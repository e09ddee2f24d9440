package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * How to reach the BMC. {@code username} and {@code password} are in the schema only so that the API server can
 * refuse them with a message saying where credentials go (pruning would drop them silently).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.username) && !has(self.password)",
        message = "inline BMC credentials are refused: put username and password in the Secret named by credentialsName")
public class BmcSpec {
    @Required
    @Pattern(Crds.BMC_ADDRESS)
    @Size(max = 2048)
    @JsonPropertyDescription("scheme://host[:port][/path][?options], e.g. ipmi://10.0.0.11:623; no credentials")
    public String address;

    @Required
    @Pattern(Crds.DNS_SUBDOMAIN)
    @Size(max = 253)
    @JsonPropertyDescription("the Secret in this namespace holding the BMC's username and password")
    public String credentialsName;

    @Default("false")
    @JsonPropertyDescription("for Redfish over https: do not verify the BMC's certificate")
    public Boolean disableCertificateVerification;

    @JsonPropertyDescription("refused: credentials belong in the Secret named by credentialsName")
    public String username;

    @JsonPropertyDescription("refused: credentials belong in the Secret named by credentialsName")
    public String password;
}
