package dev.plinth.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.load.SourceFile;
import dev.plinth.source.SourceException.Kind;
import dev.plinth.testkit.GitDaemonFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitSourceTest {

    @TempDir Path tmp;
    GitDaemonFixture git;

    @BeforeEach
    void startServer() throws Exception {
        git = GitDaemonFixture.start();
    }

    @AfterEach
    void stopServer() {
        git.close();
    }

    private static Map<String, String> layout() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("state/nodes.yaml", "kind: BareMetalNode\n");
        files.put("state/sub/dir/cloud.yml", "kind: Cloud\n");
        files.put("state/images/UPPER.YAML", "kind: DiskImage\n");
        files.put("state/README.md", "# not yaml\n");
        files.put("state/.hidden.yaml", "hidden: true\n");
        files.put("state/.dir/inside.yaml", "hidden: true\n");
        files.put("state/notes.yaml.bak", "no\n");
        files.put("other/ignored.yaml", "kind: Other\n");
        files.put("top.yaml", "kind: Top\n");
        return files;
    }

    private GitSourceConfig config(String url, String path) {
        return GitSourceConfig.of(url, tmp.resolve("cache")).withPath(path);
    }

    private static List<String> paths(Snapshot s) {
        return s.files().stream().map(SourceFile::path).toList();
    }

    @Test
    void clonesOverGitProtocolAndReadsOnlyYamlUnderThePath() throws Exception {
        String c1 = git.commit(layout(), "Initial state\n\nwith a body");
        try (GitSource source = new GitSource(config(git.url(), "state"))) {
            Snapshot s = source.fetchLatest();

            assertThat(s.commitId()).isEqualTo(c1).hasSize(40);
            assertThat(s.message()).isEqualTo("Initial state");
            assertThat(s.author()).isEqualTo("Plinth Test <test@plinth.invalid>");
            assertThat(s.commitTime()).isNotNull();
            assertThat(paths(s)).containsExactly("images/UPPER.YAML", "nodes.yaml", "sub/dir/cloud.yml");
            assertThat(s.files()).contains(new SourceFile("nodes.yaml", "kind: BareMetalNode\n"),
                    new SourceFile("sub/dir/cloud.yml", "kind: Cloud\n"));
            // A bare mirror, no working tree.
            assertThat(tmp.resolve("cache/HEAD")).isRegularFile();
            assertThat(tmp.resolve("cache/state")).doesNotExist();
        }
    }

    @Test
    void rootPathReadsTheWholeRepository() throws Exception {
        git.commit(layout(), "all");
        for (String root : List.of("", ".", "/")) {
            try (GitSource source = new GitSource(GitSourceConfig.of(git.url(), tmp.resolve("cache" + root.length()))
                    .withPath(root))) {
                assertThat(paths(source.fetchLatest())).containsExactly("other/ignored.yaml",
                        "state/images/UPPER.YAML", "state/nodes.yaml", "state/sub/dir/cloud.yml", "top.yaml");
            }
        }
    }

    @Test
    void newCommitIsPickedUpAndOldCommitStaysReadable() throws Exception {
        String c1 = git.commit(layout(), "one");
        try (GitSource source = new GitSource(config(git.url(), "state"))) {
            assertThat(source.fetchLatest().commitId()).isEqualTo(c1);

            Map<String, String> change = new LinkedHashMap<>();
            change.put("state/nodes.yaml", "kind: BareMetalNode\nname: changed\n");
            change.put("state/sub/dir/cloud.yml", null);
            change.put("state/new.yaml", "kind: New\n");
            String c2 = git.commit(change, "two");

            Snapshot s2 = source.fetchLatest();
            assertThat(s2.commitId()).isEqualTo(c2);
            assertThat(s2.message()).isEqualTo("two");
            assertThat(paths(s2)).containsExactly("images/UPPER.YAML", "new.yaml", "nodes.yaml");
            assertThat(s2.files()).contains(new SourceFile("nodes.yaml", "kind: BareMetalNode\nname: changed\n"));

            Snapshot old = source.read(c1);
            assertThat(old.commitId()).isEqualTo(c1);
            assertThat(paths(old)).containsExactly("images/UPPER.YAML", "nodes.yaml", "sub/dir/cloud.yml");
            assertThat(old.files()).contains(new SourceFile("nodes.yaml", "kind: BareMetalNode\n"));
            assertThat(source.read(c1.substring(0, 10)).commitId()).isEqualTo(c1);
            assertThat(source.lastFetchedCommit()).isEqualTo(c2);
        }
    }

    @Test
    void unchangedHeadFetchesTheSameCommit() throws Exception {
        String c1 = git.commit(layout(), "one");
        try (GitSource source = new GitSource(config(git.url(), "state"))) {
            assertThat(source.fetchLatest().commitId()).isEqualTo(c1);
            assertThat(source.fetchLatest().commitId()).isEqualTo(c1);
            assertThat(source.fetchHeadCommit()).isEqualTo(c1);
            String c2 = git.commit(Map.of("state/x.yaml", "x: 1\n"), "two");
            assertThat(source.fetchHeadCommit()).isEqualTo(c2);
            assertThat(source.lastFetchedCommit()).isEqualTo(c2);
        }
    }

    @Test
    void followsANonDefaultBranch() throws Exception {
        git.commit(layout(), "main");
        String p = git.commit("production", Map.of("state/prod.yaml", "env: prod\n"), "prod");
        try (GitSource source = new GitSource(config(git.url(), "state").withBranch("refs/heads/production"))) {
            Snapshot s = source.fetchLatest();
            assertThat(s.commitId()).isEqualTo(p);
            assertThat(paths(s)).containsExactly("prod.yaml");
        }
    }

    @Test
    void fileUrlWorksToo() throws Exception {
        String c1 = git.commit(layout(), "one");
        git.stop(); // no daemon involved
        try (GitSource source = new GitSource(config(git.fileUrl(), "state/sub"))) {
            Snapshot s = source.fetchLatest();
            assertThat(s.commitId()).isEqualTo(c1);
            assertThat(paths(s)).containsExactly("dir/cloud.yml");
        }
    }

    @Test
    void restartReusesTheExistingMirrorWithoutNetwork() throws Exception {
        String c1 = git.commit(layout(), "one");
        Path cache = tmp.resolve("cache");
        try (GitSource first = new GitSource(config(git.url(), "state"))) {
            first.fetchLatest();
        }
        git.stop();
        // As if the previous process died during a fetch.
        Files.writeString(cache.resolve("refs/remotes/origin/main.lock"), "");
        try (GitSource second = new GitSource(config(git.url(), "state"))) {
            assertThat(second.lastFetchedCommit()).isEqualTo(c1);
            Snapshot s = second.read(c1);
            assertThat(paths(s)).containsExactly("images/UPPER.YAML", "nodes.yaml", "sub/dir/cloud.yml");
            assertThatThrownBy(second::fetchLatest).isInstanceOf(SourceException.class);

            git.restart();
            String c2 = git.commit(Map.of("state/more.yaml", "x: 1\n"), "two");
            assertThat(second.fetchLatest().commitId()).isEqualTo(c2);
            assertThat(second.mirrorDir()).isEqualTo(cache);
            assertThat(cache.resolve("refs/remotes/origin/main.lock")).doesNotExist();
        }
    }

    @Test
    void unknownBranchIsAClearError() throws Exception {
        git.commit(layout(), "one");
        try (GitSource source = new GitSource(config(git.url(), "state").withBranch("no-such-branch"))) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNKNOWN_BRANCH))
                    .hasMessage("branch 'no-such-branch' does not exist in " + git.url());
        }
    }

    @Test
    void emptyRepositoryHasNoBranch() throws Exception {
        try (GitSource source = new GitSource(config(git.url(), "state"))) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNKNOWN_BRANCH))
                    .hasMessageContaining("branch 'main' does not exist");
        }
    }

    @Test
    void closedPortIsUnreachable() throws Exception {
        int closed = GitDaemonFixture.freeLoopbackPort();
        String url = "git://127.0.0.1:" + closed + "/plinth.git";
        try (GitSource source = new GitSource(config(url, "state"))) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNREACHABLE))
                    .hasMessageStartingWith("cannot reach " + url)
                    .hasMessageContaining("refused");
        }
    }

    @Test
    void missingRepositoryOnTheServer() throws Exception {
        String url = "git://127.0.0.1:" + git.port() + "/nothing-here.git";
        try (GitSource source = new GitSource(config(url, "state"))) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind())
                            .as("%s", e.getMessage()).isEqualTo(Kind.UNREACHABLE))
                    .hasMessageContaining(url);
        }
    }

    @Test
    void pathNotFoundOrNotADirectory() throws Exception {
        String c1 = git.commit(layout(), "one");
        try (GitSource source = new GitSource(config(git.url(), "nope/deeper"))) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.PATH_NOT_FOUND))
                    .hasMessageContaining("'nope/deeper'").hasMessageContaining(c1);
        }
        try (GitSource source = new GitSource(GitSourceConfig.of(git.url(), tmp.resolve("c2")).withPath("top.yaml"))) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.PATH_NOT_FOUND))
                    .hasMessageContaining("is not a directory");
        }
    }

    @Test
    void readOfAnUnknownCommit() throws Exception {
        git.commit(layout(), "one");
        try (GitSource source = new GitSource(config(git.url(), "state"))) {
            assertThatThrownBy(() -> source.read("0123456789012345678901234567890123456789"))
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNKNOWN_COMMIT))
                    .hasMessageContaining("no local mirror");
            source.fetchLatest();
            assertThatThrownBy(() -> source.read("0123456789012345678901234567890123456789"))
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNKNOWN_COMMIT))
                    .hasMessageContaining("is not in the local mirror");
            assertThatThrownBy(() -> source.read("HEAD~1"))
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNKNOWN_COMMIT))
                    .hasMessageContaining("not a commit id");
        }
    }

    @Test
    void cacheDirThatIsNotAMirrorIsRefused() throws Exception {
        git.commit(layout(), "one");
        Files.createDirectories(tmp.resolve("cache"));
        Files.writeString(tmp.resolve("cache/precious.txt"), "do not touch");
        try (GitSource source = new GitSource(config(git.url(), "state"))) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.LOCAL_MIRROR))
                    .hasMessageContaining("is not a git mirror");
        }
        assertThat(tmp.resolve("cache/precious.txt")).hasContent("do not touch");
    }

    @Test
    void messagesNeverContainPasswords() throws Exception {
        int closed = GitDaemonFixture.freeLoopbackPort();
        String url = "http://deploy:s3cr3t-in-url@127.0.0.1:" + closed + "/plinth.git";
        GitSourceConfig cfg = GitSourceConfig.of(url, tmp.resolve("cache")).withHttpCredentialsFromEnv("GIT_USER", "GIT_TOKEN");
        assertThat(cfg.toString()).doesNotContain("s3cr3t").contains("GIT_TOKEN");
        Map<String, String> env = Map.of("GIT_USER", "deploy", "GIT_TOKEN", "t0ken-from-env");
        try (GitSource source = new GitSource(cfg, env::get, 10)) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.UNREACHABLE);
                        assertThat(e.getMessage()).doesNotContain("s3cr3t").doesNotContain("t0ken")
                                .contains("127.0.0.1:" + closed);
                    });
        }
        try (GitSource source = new GitSource(cfg, name -> null, 10)) {
            assertThatThrownBy(source::fetchLatest)
                    .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.AUTHENTICATION))
                    .hasMessageContaining("environment variable GIT_USER")
                    .hasMessageNotContaining("s3cr3t");
        }
    }
}
