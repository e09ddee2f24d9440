package dev.plinth.secrets.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.driver.BmcCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secrets file on a real file system: its owner's only, or not used at all. */
class LocalSecretsFileTest {
    @TempDir Path tmp;

    @Test
    void writtenOwnerOnlyInANewOwnerOnlyDirectory() throws Exception {
        Path file = tmp.resolve("state/secrets.yaml");
        LocalSecretsFile.write(file, Map.of("bmc-0", new BmcCredentials("admin", "pw")));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
                .isEqualTo("rwx------");
        assertThat(new LocalSecretsFile(file).bmcCredentials("bmc-0")).contains(new BmcCredentials("admin", "pw"));
    }

    @Test
    void aGroupReadableFileIsRefusedAtStart() throws Exception {
        Path file = tmp.resolve("secrets.yaml");
        LocalSecretsFile.write(file, Map.of("bmc-0", new BmcCredentials("admin", "pw")));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertThatThrownBy(() -> new LocalSecretsFile(file)).hasMessage("secrets file " + file
                + " is readable by others (rw-r-----): run `chmod 600 " + file + "`; change the BMC passwords in it"
                + " if others may have read it");
    }

    @Test
    void aFileMadeLooseWhileRunningIsNoLongerUsedUntilFixed() throws Exception {
        Path file = tmp.resolve("secrets.yaml");
        LocalSecretsFile.write(file, Map.of("bmc-0", new BmcCredentials("admin", "pw")));
        LocalSecretsFile secrets = new LocalSecretsFile(file);
        assertThat(secrets.bmcCredentials("bmc-0")).isPresent();

        // chmod leaves the modification time alone: the check must not hang on it
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(secrets.bmcCredentials("bmc-0")).isEmpty();

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(secrets.bmcCredentials("bmc-0")).contains(new BmcCredentials("admin", "pw"));
    }
}
