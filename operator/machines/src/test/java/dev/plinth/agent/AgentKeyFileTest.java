package dev.plinth.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key all deploy tokens derive from: made owner-only, and refused when others can read it, as ssh does. */
class AgentKeyFileTest {
    @TempDir Path tmp;

    @Test
    void aNewKeyIsTheOwnersOnly() throws Exception {
        Path key = tmp.resolve("state/agent.key");
        AgentTokens.fromKeyFile(key);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(Files.size(key)).isEqualTo(32);
    }

    @Test
    void aKeyOthersCanReadIsRefusedWithTheChmodToRun() throws Exception {
        Path key = tmp.resolve("agent.key");
        AgentTokens.fromKeyFile(key);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> AgentTokens.fromKeyFile(key))
                .hasMessage("agent key file " + key + " is readable by others (rw-r--r--): run `chmod 600 " + key
                        + "`; anyone who read it can compute deploy tokens, so delete it instead if that may have"
                        + " happened (open deploys then fail and are retried)");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        assertThat(AgentTokens.fromKeyFile(key)).isNotNull();
    }
}
