package dev.plinth.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.PersonIdent;

/** A local Git repository with a work tree, for the demo and the benchmark to commit desired state into. */
public final class LocalGitRepo implements AutoCloseable {
    private final Git git;
    private final Path dir;

    private LocalGitRepo(Git git, Path dir) {
        this.git = git;
        this.dir = dir;
    }

    public static LocalGitRepo init(Path dir) throws IOException {
        try {
            Files.createDirectories(dir);
            return new LocalGitRepo(Git.init().setDirectory(dir.toFile()).setInitialBranch("main").call(), dir);
        } catch (GitAPIException e) {
            throw new IOException("cannot create a Git repository in " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    public String url() {
        return dir.toAbsolutePath().toUri().toString();
    }

    /** Copies a directory tree into the work tree. */
    public void copyTree(Path from) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = dir.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    public void write(String path, String content) throws IOException {
        Path target = dir.resolve(path);
        Files.createDirectories(target.getParent());
        Files.writeString(target, content);
    }

    public void delete(String path) throws IOException {
        Files.deleteIfExists(dir.resolve(path));
    }

    /** Stages every change (additions and deletions) and commits; returns the commit id. */
    public String commitAll(String message) throws IOException {
        try {
            git.add().addFilepattern(".").call();
            git.add().addFilepattern(".").setUpdate(true).call();
            PersonIdent who = new PersonIdent("Plinth", "plinth@localhost");
            return git.commit().setMessage(message).setAuthor(who).setCommitter(who).setAllowEmpty(true).call()
                    .getName();
        } catch (GitAPIException e) {
            throw new IOException("commit failed: " + e.getMessage(), e);
        }
    }

    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(f);
            }
        }
    }

    @Override
    public void close() {
        git.close();
    }
}
