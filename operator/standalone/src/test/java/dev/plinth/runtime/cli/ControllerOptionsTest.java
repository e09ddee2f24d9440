package dev.plinth.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Issue 8 #12: the BMC credentials do not default to living inside the state directory. */
class ControllerOptionsTest {
    private static Path secretsOf(String... args) {
        RunCommand run = new RunCommand();
        new CommandLine(run).parseArgs(args);
        return run.options.toStandalone("file:///nowhere", "main", "", Duration.ofMinutes(1)).secretsFile();
    }

    @Test
    void theSecretsFileDefaultsToEtcPlinthOutsideTheStateDirectory() {
        Path secrets = secretsOf("--repo", "file:///nowhere", "--state-dir", "/var/lib/plinth", "--advertise-url",
                "http://192.0.2.1:8081");
        assertThat(secrets).isEqualTo(Path.of("/etc/plinth/secrets.yaml"));
        assertThat(secrets.startsWith(Path.of("/var/lib/plinth"))).isFalse();
    }

    @Test
    void theBmcCaFileReachesTheRealMachineDrivers() {
        RunCommand run = new RunCommand();
        new CommandLine(run).parseArgs("--repo", "file:///nowhere", "--advertise-url", "http://192.0.2.1:8081",
                "--bmc-ca-file", "/etc/plinth/bmc-ca.pem");
        assertThat(run.options.toStandalone("file:///nowhere", "main", "", Duration.ofMinutes(1)).metal().bmcCaFile())
                .isEqualTo(Path.of("/etc/plinth/bmc-ca.pem"));
    }

    @Test
    void theShutdownTimeoutDefaultsToAMinuteAndCanBeSet() {
        RunCommand run = new RunCommand();
        new CommandLine(run).parseArgs("--repo", "file:///nowhere", "--advertise-url", "http://192.0.2.1:8081");
        assertThat(run.options.toStandalone("file:///nowhere", "main", "", Duration.ofMinutes(1)).lifecycle()
                .shutdownTimeout()).isEqualTo(Duration.ofSeconds(60));
        RunCommand quick = new RunCommand();
        new CommandLine(quick).parseArgs("--repo", "file:///nowhere", "--advertise-url", "http://192.0.2.1:8081",
                "--shutdown-timeout", "5m");
        assertThat(quick.options.toStandalone("file:///nowhere", "main", "", Duration.ofMinutes(1)).lifecycle()
                .shutdownTimeout()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void anExplicitSecretsFileIsUsedAsGiven() {
        assertThat(secretsOf("--repo", "file:///nowhere", "--driver", "fake", "--secrets", "/srv/bmc.yaml"))
                .isEqualTo(Path.of("/srv/bmc.yaml"));
    }
}
