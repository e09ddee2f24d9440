package dev.plinth.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.load.SourceFile;
import dev.plinth.source.SourceException.Kind;
import dev.plinth.testkit.GitDaemonFixture;
import dev.plinth.testkit.GitSshFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ssh:// with a key file and a known_hosts file, against an in-process SSH server running real git. */
class GitSourceSshTest {

    @TempDir Path tmp;
    GitDaemonFixture git;
    GitSshFixture ssh;
    String c1;

    @BeforeEach
    void setUp() throws Exception {
        git = GitDaemonFixture.start();
        c1 = git.commit(Map.of("state/a.yaml", "a: 1\n"), "one");
        ssh = GitSshFixture.start(git.baseDir(), tmp.resolve("ssh"));
    }

    @AfterEach
    void tearDown() {
        ssh.close();
        git.close();
    }

    private GitSourceConfig config(Path key, Path knownHosts) {
        return GitSourceConfig.of(ssh.url(), tmp.resolve("cache")).withPath("state").withSsh(key, knownHosts);
    }

    @Test
    void fetchesOverSshWithTheGivenKeyAndKnownHosts() throws Exception {
        try (GitSource source = new GitSource(config(ssh.clientKey(), ssh.knownHosts()))) {
            Snapshot s = source.fetchLatest();
            assertThat(s.commitId()).isEqualTo(c1);
            assertThat(s.files()).extracting(SourceFile::path).containsExactly("a.yaml");
        }
    }

    @Test
    void aChangedHostKeyIsRefused() throws Exception {
        Path wrong = ssh.writeWrongKnownHosts(tmp.resolve("wrong_known_hosts"));
        String before = Files.readString(wrong);
        try (GitSource source = new GitSource(config(ssh.clientKey(), wrong))) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class,
                            e -> assertThat(e.kind()).as(e.getMessage()).isEqualTo(Kind.HOST_KEY))
                    .hasMessageContaining("is not trusted");
        }
        assertThat(Files.readString(wrong)).isEqualTo(before);
    }

    @Test
    void anUnknownHostIsRefusedNotAddedSilently() throws Exception {
        Path empty = Files.writeString(tmp.resolve("empty_known_hosts"), "");
        try (GitSource source = new GitSource(config(ssh.clientKey(), empty))) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class,
                            e -> assertThat(e.kind()).as(e.getMessage()).isEqualTo(Kind.HOST_KEY));
        }
        assertThat(Files.readString(empty)).isEmpty();
    }

    @Test
    void aKeyTheServerDoesNotAcceptIsAnAuthenticationError() throws Exception {
        Path other = ssh.writeUnknownClientKey(tmp.resolve("other_key"));
        try (GitSource source = new GitSource(config(other, ssh.knownHosts()))) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class, e -> {
                        assertThat(e.kind()).as(e.getMessage()).isEqualTo(Kind.AUTHENTICATION);
                        assertThat(e.getMessage()).doesNotContain("PRIVATE KEY").contains("with key " + other);
                    });
        }
    }

    @Test
    void aMissingKeyFileIsReportedByName() throws Exception {
        Path missing = tmp.resolve("no_such_key");
        try (GitSource source = new GitSource(config(missing, ssh.knownHosts()))) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class,
                            e -> assertThat(e.kind()).isEqualTo(Kind.AUTHENTICATION))
                    .hasMessage("ssh key file " + missing + " does not exist or is not readable");
        }
    }
}
