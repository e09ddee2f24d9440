package dev.plinth.tls;

import dev.plinth.agent.AgentEndpoint;
import dev.plinth.agent.AgentService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * HTTPS for the provisioning network, wired: the agent's endpoint on {@code tlsPort}, the controller CA (kept in
 * {@code caDir}) and a server certificate for the endpoint's name and address. Both hosts (standalone and the
 * operator) make one at start.
 *
 * @param agent what the agent service tells the machines (endpoint and CA)
 * @param certificate what the HTTPS listener serves
 */
public record ProvisioningTls(AgentService.Tls agent, ServerCertificate certificate) {
    public static ProvisioningTls create(String advertisedBaseUrl, int tlsPort, Path caDir, Clock clock) {
        AgentEndpoint endpoint = AgentEndpoint.of(advertisedBaseUrl, tlsPort);
        ControllerCa ca;
        try {
            ca = ControllerCa.loadOrCreate(caDir, clock);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load or create the controller CA in " + caDir + ": "
                    + e.getMessage(), e);
        }
        ServerCertificate cert = ca.issue(endpoint.name(),
                endpoint.address() == null ? List.of() : List.of(endpoint.address()));
        return new ProvisioningTls(new AgentService.Tls(endpoint, ca.certificatePem()), cert);
    }
}
