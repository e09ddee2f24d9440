package dev.plinth.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.load.LoadResult;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ValidateCommandTest {
    /** Surefire runs in the module directory. */
    private static final Path EXAMPLES = Path.of("../../examples");

    @Test
    void theExamplesAreValidForRealMachinesAndForTheFake() throws Exception {
        LoadResult real = ValidateCommand.load(EXAMPLES, "ipmi");
        assertThat(real.problems()).isEmpty();
        assertThat(real.state().nodes()).isNotEmpty();
        assertThat(ValidateCommand.load(EXAMPLES, "fake").problems()).isEmpty();
    }

    @Test
    void aRedfishAddressIsValidForRealMachinesOnlyWithASystemPath(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("n.yaml"), """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: n0}
                spec:
                  bmc: {address: "redfish+https://10.0.0.9/redfish/v1/Systems/1", credentialsName: s0}
                  bootMACAddress: "52:54:00:00:00:09"
                """);
        assertThat(new CommandLine(new ValidateCommand()).execute(dir.toString())).isZero();
        assertThat(new CommandLine(new ValidateCommand()).execute("--driver", "fake", dir.toString())).isZero();
        assertThat(new CommandLine(new ValidateCommand()).execute("--driver", "redfish", dir.toString())).isEqualTo(2);

        Files.writeString(dir.resolve("n.yaml"), Files.readString(dir.resolve("n.yaml"))
                .replace("/redfish/v1/Systems/1", "/redfish/v1/Managers/1"));
        assertThat(new CommandLine(new ValidateCommand()).execute(dir.toString())).isEqualTo(1);
        assertThat(ValidateCommand.load(dir, "ipmi").problems()).singleElement()
                .satisfies(p -> assertThat(p.toString()).startsWith("n.yaml:5: spec.bmc.address: BMC address path"
                        + " /redfish/v1/Managers/1 does not name one Redfish system"));
        assertThat(new CommandLine(new ValidateCommand()).execute("--driver", "fake", dir.toString())).isEqualTo(1);
    }
}
