package dev.plinth.kubernetes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.treewalk.TreeWalk;

/** Fetches a branch into a bare repository of the operator's and reads a revision's YAML files from it. */
public final class GitRevisions {
    private static final long MAX_FILE = 16L << 20;

    private final Path cache;

    public GitRevisions(Path cache) {
        this.cache = cache;
    }

    /** A fetched revision: its commit id and its {@code *.yaml}/{@code *.yml} files under the path. */
    public record Revision(String commit, Map<String, String> files) {}

    /** @param username with {@code password}: HTTP basic credentials from the GitSource's Secret; null for none */
    public Revision fetch(String key, String url, String branch, String path, String username, String password)
            throws IOException, GitAPIException {
        Path dir = cache.resolve(key.replace('/', '_'));
        if (!Files.isDirectory(dir.resolve("objects"))) {
            Git.init().setBare(true).setDirectory(dir.toFile()).call().close();
        }
        try (Git git = Git.open(dir.toFile())) {
            CredentialsProvider credentials = username == null ? null
                    : new UsernamePasswordCredentialsProvider(username, password == null ? "" : password);
            git.fetch().setRemote(url).setCredentialsProvider(credentials)
                    .setRefSpecs(new RefSpec("+refs/heads/" + branch + ":refs/heads/" + branch)).call();
            Repository repo = git.getRepository();
            ObjectId head = repo.resolve("refs/heads/" + branch);
            if (head == null) {
                throw new IOException("branch " + branch + " not found in " + url);
            }
            return new Revision(head.name(), files(repo, head, path));
        }
    }

    private static Map<String, String> files(Repository repo, ObjectId head, String path) throws IOException {
        String prefix = path == null || path.isEmpty() || path.equals(".") ? ""
                : path.replaceAll("^\\./", "").replaceAll("/+$", "") + "/";
        Map<String, String> files = new TreeMap<>();
        try (RevWalk walk = new RevWalk(repo); TreeWalk tree = new TreeWalk(repo)) {
            RevCommit commit = walk.parseCommit(head);
            tree.addTree(commit.getTree());
            tree.setRecursive(true);
            while (tree.next()) {
                String p = tree.getPathString();
                boolean hidden = ("/" + p).contains("/.");
                if (!p.startsWith(prefix) || hidden || !(p.endsWith(".yaml") || p.endsWith(".yml"))) {
                    continue;
                }
                var loader = repo.open(tree.getObjectId(0));
                if (loader.getSize() > MAX_FILE) {
                    throw new IOException(p + ": file is " + loader.getSize() + " bytes, over the limit of " + MAX_FILE);
                }
                files.put(p, new String(loader.getBytes(), StandardCharsets.UTF_8));
            }
        }
        return files;
    }
}
