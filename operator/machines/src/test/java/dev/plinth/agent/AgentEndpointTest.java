package dev.plinth.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AgentEndpointTest {
    @Test
    void anAddressBecomesANameTheRamdiskMapsInEtcHosts() {
        AgentEndpoint e = AgentEndpoint.of("http://10.0.2.2:8080", 8443);
        assertThat(e.baseUrl()).isEqualTo("https://plinth-controller:8443");
        assertThat(e.kernelArgs()).isEqualTo("plinth.api=https://plinth-controller:8443 plinth.apihost=10.0.2.2");
    }

    @Test
    void aNameIsUsedAsItIs() {
        AgentEndpoint e = AgentEndpoint.of("http://seed.lab.example:8081", 9443);
        assertThat(e.baseUrl()).isEqualTo("https://seed.lab.example:9443");
        assertThat(e.address()).isNull();
        assertThat(e.kernelArgs()).isEqualTo("plinth.api=https://seed.lab.example:9443");
    }

    @Test
    void anIpv6AddressIsRefusedWithTheReason() {
        assertThatThrownBy(() -> AgentEndpoint.of("http://[fd00::1]:8081", 8443))
                .hasMessageContaining("IPv4 address or a host name");
    }
}
