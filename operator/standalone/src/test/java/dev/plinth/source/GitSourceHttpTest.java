package dev.plinth.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.load.SourceFile;
import dev.plinth.source.SourceException.Kind;
import dev.plinth.testkit.GitDaemonFixture;
import dev.plinth.testkit.GitHttpFixture;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smart HTTP through the real git http-backend, with Basic authentication. */
class GitSourceHttpTest {

    private static final String PASSWORD = "pa55-w0rd-xyz";

    @TempDir Path tmp;
    GitDaemonFixture git;
    GitHttpFixture http;
    String c1;

    @BeforeEach
    void setUp() throws Exception {
        git = GitDaemonFixture.start();
        c1 = git.commit(Map.of("state/a.yaml", "a: 1\n", "state/b.yml", "b: 2\n"), "one");
        http = GitHttpFixture.start(git.baseDir(), "deploy", PASSWORD);
    }

    @AfterEach
    void tearDown() {
        http.close();
        git.close();
    }

    private GitSourceConfig config() {
        return GitSourceConfig.of(http.url(), tmp.resolve("cache")).withPath("state")
                .withHttpCredentialsFromEnv("PLINTH_GIT_USER", "PLINTH_GIT_PASSWORD");
    }

    @Test
    void fetchesOverHttpWithCredentialsFromTheEnvironment() throws Exception {
        Map<String, String> env = Map.of("PLINTH_GIT_USER", "deploy", "PLINTH_GIT_PASSWORD", PASSWORD);
        try (GitSource source = new GitSource(config(), env::get, 30)) {
            Snapshot s = source.fetchLatest();
            assertThat(s.commitId()).isEqualTo(c1);
            assertThat(s.files()).extracting(SourceFile::path).containsExactly("a.yaml", "b.yml");

            String c2 = git.commit(Map.of("state/c.yaml", "c: 3\n"), "two");
            assertThat(source.fetchLatest().commitId()).isEqualTo(c2);
        }
    }

    @Test
    void wrongPasswordIsAnAuthenticationErrorWithoutThePassword() throws Exception {
        Map<String, String> env = Map.of("PLINTH_GIT_USER", "deploy", "PLINTH_GIT_PASSWORD", "wrong-" + PASSWORD);
        try (GitSource source = new GitSource(config(), env::get, 30)) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class, e -> {
                        assertThat(e.kind()).as(e.getMessage()).isEqualTo(Kind.AUTHENTICATION);
                        assertThat(e.getMessage()).startsWith("authentication to " + http.url() + " failed")
                                .doesNotContain(PASSWORD);
                    });
        }
    }

    @Test
    void missingCredentialsIsAnAuthenticationError() throws Exception {
        GitSourceConfig noCredentials = GitSourceConfig.of(http.url(), tmp.resolve("cache")).withPath("state");
        try (GitSource source = new GitSource(noCredentials)) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class,
                            e -> assertThat(e.kind()).as(e.getMessage()).isEqualTo(Kind.AUTHENTICATION))
                    .hasMessageContaining("none are configured");
        }
    }

    @Test
    void passwordInTheUrlIsNeverShown() throws Exception {
        String url = http.url().replace("http://", "http://deploy:" + PASSWORD + "@");
        try (GitSource source = new GitSource(GitSourceConfig.of(url, tmp.resolve("cache")).withPath("state")
                .withBranch("missing"))) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class, e -> {
                        assertThat(e.kind()).as(e.getMessage()).isEqualTo(Kind.UNKNOWN_BRANCH);
                        assertThat(e.getMessage()).doesNotContain(PASSWORD).contains("deploy:***@");
                    });
            assertThat(source.toString()).doesNotContain(PASSWORD);
        }
    }
}
