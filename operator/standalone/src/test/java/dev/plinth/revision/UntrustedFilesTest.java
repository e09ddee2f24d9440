package dev.plinth.revision;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.DesiredState;
import dev.plinth.core.Problem;
import dev.plinth.load.DesiredStateLoader;
import dev.plinth.load.LoadResult;
import dev.plinth.runtime.Standalone;
import dev.plinth.source.GitSource;
import dev.plinth.source.GitSourceConfig;
import dev.plinth.source.Snapshot;
import dev.plinth.testkit.InMemoryStateStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files a Git committer controls, read the way the controller reads them (JGit over file://, the real loader, the
 * revision tracker) and the way {@code plinth validate} reads them (a directory): both must reject the same bytes
 * with the same file:line, and a file over a limit is a rejected revision, never a fetch error.
 */
class UntrustedFilesTest {
    private static final String IMAGE = """
            apiVersion: plinth.dev/v1alpha1
            kind: DiskImage
            metadata: {name: centos}
            spec: {url: "http://images.example/c.raw", checksum: "sha256:%s"}
            """.formatted("a".repeat(64));

    @TempDir Path tmp;

    /** A one-commit repository with {@code files} (path -> raw bytes) at its root; returns the commit id. */
    private String commit(Path work, String path, byte[] bytes) throws Exception {
        try (Git git = Git.init().setDirectory(work.toFile()).setInitialBranch("main").call()) {
            Files.write(work.resolve(path), bytes);
            git.add().addFilepattern(".").call();
            return git.commit().setMessage("test").setAuthor("t", "t@plinth.invalid")
                    .setCommitter("t", "t@plinth.invalid").setSign(false).call().name();
        }
    }

    /** What the controller does with the head of {@code work}: fetch it with JGit and offer it to the tracker. */
    private LoadResult controllerOffers(Path work, List<DesiredState> applied) throws Exception {
        try (GitSource source = new GitSource(GitSourceConfig.of(work.toUri().toString(), tmp.resolve("mirror")))) {
            Snapshot s = source.fetchLatest();
            RevisionTracker tracker = new RevisionTracker(new InMemoryStateStore(),
                    new DesiredStateLoader(Standalone.bmcSupport("ipmi")), applied::add, Clock.systemUTC());
            LoadResult result = tracker.offer(s.commitId(), s.message(), s.files());
            assertThat(tracker.status().rejected()).hasSize(result.isOk() ? 0 : 1);
            return result;
        }
    }

    /** {@code plinth validate DIR} in-process: exit code and everything printed. */
    private static String[] validate(Path dir) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
        int code;
        try {
            System.setOut(capture);
            System.setErr(capture);
            code = dev.plinth.runtime.cli.Main.execute("validate", dir.toString());
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new String[] {String.valueOf(code), buf.toString(StandardCharsets.UTF_8)};
    }

    private static byte[] latin1InAComment() {
        return (IMAGE + "# caf\u00e9 (saved as Latin-1)\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aLatin1ByteInACommentIsRejectedByTheControllerWithFileAndLine() throws Exception {
        Path work = tmp.resolve("repo");
        commit(work, "image.yaml", latin1InAComment());
        List<DesiredState> applied = new ArrayList<>();

        LoadResult result = controllerOffers(work, applied);

        assertThat(applied).isEmpty();
        assertThat(result.problems()).singleElement().satisfies(p -> {
            assertThat(p.file()).isEqualTo("image.yaml");
            assertThat(p.line()).isEqualTo(5);
            assertThat(p.message()).contains("not valid UTF-8").contains("0xE9");
        });
    }

    @Test
    void validateRejectsTheSameByteWithTheSameFileAndLineAndNoStackTrace() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("dir"));
        Files.write(dir.resolve("image.yaml"), latin1InAComment());

        String[] run = validate(dir);

        assertThat(run[0]).isEqualTo("1");
        assertThat(run[1]).startsWith("image.yaml:5: not valid UTF-8").doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aLineOverTheLimitIsAProblemWithFileAndLineAndIsNotParsed() {
        String longLine = "    checksum: sha256:" + "a".repeat(1_000_000) + "\n";
        LoadResult result = new DesiredStateLoader(Standalone.bmcSupport("ipmi")).load("r",
                List.of(new dev.plinth.load.SourceFile("big.yaml", IMAGE + "---\n" + IMAGE.replace(
                        "spec: {", "spec:\n" + longLine + "  x: {"))));

        assertThat(result.problems()).singleElement().satisfies(p -> {
            assertThat(p.file()).isEqualTo("big.yaml");
            assertThat(p.line()).isEqualTo(10);
            assertThat(p.message()).startsWith("line is 1000021 bytes long, over the limit of 16384 bytes");
        });
    }

    @Test
    void aFileOverTheSizeLimitInGitIsARejectedRevisionNotAFetchError() throws Exception {
        Path work = tmp.resolve("repo");
        // Many short lines: only the file's size is over a limit.
        commit(work, "huge.yaml", "# filler\n".repeat(2_000_000).getBytes(StandardCharsets.UTF_8));
        List<DesiredState> applied = new ArrayList<>();

        LoadResult result = controllerOffers(work, applied);

        assertThat(applied).isEmpty();
        assertThat(result.problems()).extracting(Problem::toString).containsExactly(
                "huge.yaml: file is 18000000 bytes, over the limit of 16777216 bytes (16 MiB) per file;"
                        + " split it into several files");
    }

    @Test
    void aByteOrderMarkIsNotABadByte() {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] text = IMAGE.getBytes(StandardCharsets.UTF_8);
        byte[] both = java.util.Arrays.copyOf(bom, bom.length + text.length);
        System.arraycopy(text, 0, both, bom.length, text.length);

        LoadResult result = new DesiredStateLoader(Standalone.bmcSupport("ipmi")).load("r",
                List.of(dev.plinth.load.SourceFile.of("image.yaml", both)));

        assertThat(result.problems()).isEmpty();
        assertThat(result.state().images()).containsOnlyKeys("centos");
    }

    @Test
    void filesBeyondTheRevisionLimitAreNotReadAndNamed() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("dir"));
        byte[] thirteenAndAHalfMb = "# filler\n".repeat(1_500_000).getBytes(StandardCharsets.UTF_8);
        for (String name : List.of("a", "b", "c", "d", "e")) {
            Files.write(dir.resolve(name + ".yaml"), thirteenAndAHalfMb);
        }

        List<dev.plinth.load.SourceFile> files = DesiredStateLoader.readDirectory(dir);
        LoadResult result = new DesiredStateLoader(Standalone.bmcSupport("ipmi")).load("r", files);

        assertThat(files).extracting(dev.plinth.load.SourceFile::isRead).containsExactly(true, true, true, true, false);
        assertThat(result.problems()).extracting(Problem::toString).containsExactly("e.yaml: not read: with this file"
                + " of 13500000 bytes the revision is over the limit of 67108864 bytes (64 MiB) for all its files"
                + " together; keep the fleet smaller or serve it from several repository paths");
    }
}
