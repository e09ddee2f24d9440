package dev.plinth.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GitSourceConfigTest {

    private static final Path CACHE = Path.of("/var/cache/plinth/git");

    @Test
    void defaults() {
        GitSourceConfig c = GitSourceConfig.of("git://example.org/infra.git", CACHE);
        assertThat(c.branch()).isEqualTo("main");
        assertThat(c.path()).isEmpty();
        assertThat(c.pollInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.sshKey()).isEmpty();
        assertThat(c.knownHosts()).isEmpty();
        assertThat(c.scheme()).isEqualTo("git");
    }

    @Test
    void pathIsNormalised() {
        GitSourceConfig c = GitSourceConfig.of("file:///srv/infra.git", CACHE);
        assertThat(c.withPath(".").path()).isEmpty();
        assertThat(c.withPath("/clusters//east/").path()).isEqualTo("clusters/east");
        assertThat(c.withPath("./clusters/./east").path()).isEqualTo("clusters/east");
        assertThatThrownBy(() -> c.withPath("clusters/../../etc")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void branchPrefixIsStrippedAndBadNamesRejected() {
        GitSourceConfig c = GitSourceConfig.of("https://example.org/infra.git", CACHE);
        assertThat(c.withBranch("refs/heads/prod").branch()).isEqualTo("prod");
        assertThat(c.withBranch(" ").branch()).isEqualTo("main");
        assertThatThrownBy(() -> c.withBranch("a..b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.withBranch("-x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onlyKnownSchemes() {
        for (String ok : new String[] {"file:///r.git", "http://h/r.git", "https://h/r.git", "git://h/r.git",
                "ssh://git@h:22/r.git"}) {
            assertThat(GitSourceConfig.of(ok, CACHE).url()).isEqualTo(ok);
        }
        assertThatThrownBy(() -> GitSourceConfig.of("ftp://h/r.git", CACHE))
                .hasMessageContaining("unsupported git url scheme 'ftp'");
        assertThatThrownBy(() -> GitSourceConfig.of("git@github.com:org/r.git", CACHE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GitSourceConfig.of("https://h/r.git", CACHE).withPollInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toStringShowsNoSecrets() {
        GitSourceConfig c = GitSourceConfig.of("https://bot:hunter2@example.org/infra.git", CACHE)
                .withHttpCredentialsFromEnv("GIT_USER", "GIT_TOKEN")
                .withSsh(Path.of("/etc/plinth/id_ed25519"), Path.of("/etc/plinth/known_hosts"));
        assertThat(c.toString()).doesNotContain("hunter2").contains("bot:***@example.org")
                .contains("httpPasswordEnv=$GIT_TOKEN").contains("/etc/plinth/id_ed25519");
        assertThat(c.redactedUrl()).isEqualTo("https://bot:***@example.org/infra.git");
        assertThat(GitSourceConfig.of("https://ghp_token@example.org/r.git", CACHE).redactedUrl())
                .isEqualTo("https://***@example.org/r.git");
        assertThat(GitSourceConfig.of("ssh://git@example.org/r.git", CACHE).redactedUrl())
                .isEqualTo("ssh://git@example.org/r.git");
    }
}
