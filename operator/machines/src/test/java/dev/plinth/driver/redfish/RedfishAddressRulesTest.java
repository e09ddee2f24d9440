package dev.plinth.driver.redfish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.api.BmcAddress;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class RedfishAddressRulesTest {
    private final RedfishAddressRules rules = new RedfishAddressRules();

    @Test
    void aSystemPathIsRequiredAndOnlyBootModeIsAnOption() {
        assertThat(rules.schemes()).containsExactly("redfish+http", "redfish+https");
        assertThat(rules.problems(BmcAddress.parse("redfish+https://bmc:8443/redfish/v1/Systems/System.Embedded.1")))
                .isEmpty();
        assertThat(rules.problems(BmcAddress.parse("redfish+http://bmc/redfish/v1/Systems/1/?bootMode=Legacy")))
                .isEmpty();
        assertThat(rules.problems(BmcAddress.parse("redfish+https://bmc/redfish/v1/Systems/1/Bios"))).containsExactly(
                "BMC address path /redfish/v1/Systems/1/Bios does not name one Redfish system: expected"
                        + " /redfish/v1/Systems/<id> (" + RedfishAddressRules.FORM_HTTPS + ")");
        assertThat(rules.problems(BmcAddress.parse("redfish+https://bmc/redfish/v1/Systems/1?bootMode=pxe&user=s3cret")))
                .containsExactly("unsupported bootMode \"pxe\": expected uefi or legacy",
                        "unknown Redfish address option \"user\": expected only bootMode ("
                                + RedfishAddressRules.FORM_HTTPS + ")")
                .noneMatch(p -> p.contains("s3cret"));
    }

    @Test
    void theEndpointCarriesSchemeSystemModeAndCertificatePolicy() {
        RedfishEndpoint e = RedfishEndpoint.of(BmcAddress.parse("Redfish+HTTPS://BMC-1/redfish/v1/Systems/1?bootMode=uefi"),
                false);
        assertThat(e.base()).hasToString("https://bmc-1:443");
        assertThat(e.systemId()).isEqualTo("1");
        assertThat(e.uefi()).isTrue();
        assertThat(e.verifyTls()).isTrue();
        assertThat(RedfishEndpoint.of(BmcAddress.parse("redfish+https://h/redfish/v1/Systems/1"), true).verifyTls())
                .isFalse();
        // plain http has no certificate to verify, whatever the spec says
        assertThat(RedfishEndpoint.of(BmcAddress.parse("redfish+http://h:8000/redfish/v1/Systems/1"), true).verifyTls())
                .isTrue();
        assertThatThrownBy(() -> RedfishEndpoint.of(BmcAddress.parse("ipmi://h"), false))
                .hasMessageContaining("is not Redfish");
    }

    @Test
    void tlsFailuresAreNamedByTheirCertificateProblem() {
        SSLHandshakeException untrusted = new SSLHandshakeException("PKIX path building failed");
        untrusted.initCause(new CertPathBuilderException("unable to find valid certification path"));
        assertThat(TlsProblems.describe(untrusted)).startsWith("its certificate is not trusted: self-signed")
                .contains("--bmc-ca-file").contains("disableCertificateVerification");

        SSLHandshakeException expired = new SSLHandshakeException("expired");
        expired.initCause(new CertificateExpiredException("NotAfter: Mon Jan 01 00:00:00 UTC 2024"));
        assertThat(TlsProblems.describe(expired)).isEqualTo(
                "its certificate has expired (NotAfter: Mon Jan 01 00:00:00 UTC 2024)");

        SSLHandshakeException wrongName = new SSLHandshakeException("x");
        wrongName.initCause(new CertificateException("No subject alternative names matching IP address 10.0.0.1 found"));
        assertThat(TlsProblems.describe(wrongName)).startsWith("its certificate does not name this host");
        assertThat(TlsProblems.isTls(new java.io.IOException("wrapped", wrongName))).isTrue();
        assertThat(TlsProblems.isTls(new java.net.ConnectException("refused"))).isFalse();
    }
}
