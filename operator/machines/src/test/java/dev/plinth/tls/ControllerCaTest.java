package dev.plinth.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The controller CA: kept, reused, private, and its certificates accepted by openssl for the right name only. */
class ControllerCaTest {
    @TempDir
    Path dir;

    @Test
    void theCaIsMadeOnceKeptPrivateAndReused() throws Exception {
        ControllerCa first = ControllerCa.loadOrCreate(dir.resolve("tls"), Clock.systemUTC());
        ControllerCa again = ControllerCa.loadOrCreate(dir.resolve("tls"), Clock.systemUTC());
        assertThat(again.certificatePem()).isEqualTo(first.certificatePem());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls"))))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls/ca.key"))))
                .isEqualTo("rw-------");
        assertThat(first.certificate().getBasicConstraints()).isZero();

        Files.setPosixFilePermissions(dir.resolve("tls/ca.key"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> ControllerCa.loadOrCreate(dir.resolve("tls"), Clock.systemUTC()))
                .hasMessageContaining("chmod 600");
    }

    @Test
    void opensslAcceptsTheServerCertificateForItsNameAndAddressOnly() throws Exception {
        ControllerCa ca = ControllerCa.loadOrCreate(dir.resolve("tls"), Clock.systemUTC());
        ServerCertificate cert = ca.issue("plinth-controller", List.of("10.0.2.2"));
        assertThat(cert.keyPem()).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(cert.toString()).doesNotContain("PRIVATE");
        Files.writeString(dir.resolve("ca.pem"), ca.certificatePem());
        Files.writeString(dir.resolve("server.pem"), cert.certificatePem());

        assertThat(verify("-verify_hostname", "plinth-controller")).contains("server.pem: OK");
        assertThat(verify("-verify_ip", "10.0.2.2")).contains("server.pem: OK");
        assertThat(verify("-verify_hostname", "evil.example")).doesNotContain(": OK");
        // another CA does not vouch for it
        Files.writeString(dir.resolve("ca.pem"), ControllerCa.loadOrCreate(dir.resolve("other"), Clock.systemUTC())
                .certificatePem());
        assertThat(verify("-verify_hostname", "plinth-controller")).doesNotContain(": OK");
    }

    private String verify(String flag, String value) throws Exception {
        Path openssl = Path.of("/usr/bin/openssl");
        Assumptions.assumeTrue(Files.isExecutable(openssl), "openssl is not installed (apt-get install openssl)");
        Process p = new ProcessBuilder(openssl.toString(), "verify", "-CAfile", dir.resolve("ca.pem").toString(),
                flag, value, dir.resolve("server.pem").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
