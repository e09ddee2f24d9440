package dev.plinth.source;

import dev.plinth.load.SourceFile;
import dev.plinth.load.SourceText;
import dev.plinth.source.SourceException.Kind;
import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.jgit.api.FetchCommand;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.InvalidRemoteException;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.errors.NoRemoteRepositoryException;
import org.eclipse.jgit.internal.JGitText;
import org.eclipse.jgit.lib.AbbreviatedObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.transport.sshd.JGitKeyCache;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The desired state in a Git repository, kept in a local bare mirror.
 *
 * <p>The mirror lives directly in {@link GitSourceConfig#cacheDir()} (a bare repository). It is
 * created empty on first use and filled by the first {@link #fetchLatest()}; after a restart an
 * existing mirror is reused, so {@link #read(String)} of a commit fetched earlier needs no network.
 * Only the configured branch is fetched (into {@code refs/remotes/origin/<branch>}); tags are not.
 * Files are read straight from the object database: there is no working tree.
 *
 * <p>Thread-safe: fetches are serialised; reads may run concurrently with a fetch.
 */
public final class GitSource implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GitSource.class);

    /** Network timeout of a fetch, in seconds. */
    public static final int DEFAULT_TIMEOUT_SECONDS = 60;
    /** Name of the generated ssh client config kept inside the mirror directory. */
    static final String SSH_CONFIG_NAME = "plinth-ssh_config";
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{4,64}");
    private static final String HTTP_USER_DEFAULT = "git";

    private final GitSourceConfig config;
    private final Function<String, String> env;
    private final int timeoutSeconds;
    private final ReentrantLock fetchLock = new ReentrantLock();
    private final Object openLock = new Object();
    private volatile Repository repo;
    private SshdSessionFactory sshFactory;
    private volatile boolean closed;

    public GitSource(GitSourceConfig config) {
        this(config, System::getenv, DEFAULT_TIMEOUT_SECONDS);
    }

    /**
     * @param env            looks up environment variables by name (for HTTP credentials); normally {@code System::getenv}
     * @param timeoutSeconds network timeout of one fetch
     */
    public GitSource(GitSourceConfig config, Function<String, String> env, int timeoutSeconds) {
        this.config = java.util.Objects.requireNonNull(config, "config");
        this.env = java.util.Objects.requireNonNull(env, "env");
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("timeoutSeconds must be positive");
        }
        this.timeoutSeconds = timeoutSeconds;
    }

    public GitSourceConfig config() {
        return config;
    }

    /** The directory of the local bare mirror. */
    public Path mirrorDir() {
        return config.cacheDir();
    }

    /**
     * Fetches the branch from the remote and returns the snapshot of its head commit.
     *
     * @throws SourceException {@link Kind#UNREACHABLE}, {@link Kind#UNKNOWN_BRANCH}, {@link Kind#AUTHENTICATION},
     *                         {@link Kind#HOST_KEY}, {@link Kind#TRANSPORT} for the fetch; {@link Kind#PATH_NOT_FOUND}
     *                         if the head commit has no such directory; {@link Kind#LOCAL_MIRROR} for local trouble
     */
    public Snapshot fetchLatest() throws SourceException {
        fetchLock.lock();
        try {
            Repository r = openMirror(true);
            ObjectId head = fetch(r);
            return snapshotOf(r, head);
        } finally {
            fetchLock.unlock();
        }
    }

    /**
     * Fetches the branch and returns only its head commit id, without reading any files: cheap when the
     * caller already has that commit. Same errors as {@link #fetchLatest()} except {@link Kind#PATH_NOT_FOUND}.
     */
    public String fetchHeadCommit() throws SourceException {
        fetchLock.lock();
        try {
            return fetch(openMirror(true)).name();
        } finally {
            fetchLock.unlock();
        }
    }

    /**
     * The snapshot of a commit already in the local mirror. Never touches the network.
     *
     * @param commitId full hex id (an unambiguous abbreviation of at least 4 digits is accepted too)
     * @throws SourceException {@link Kind#UNKNOWN_COMMIT} if it is not in the mirror (or not a commit),
     *                         {@link Kind#PATH_NOT_FOUND} if the commit has no such directory
     */
    public Snapshot read(String commitId) throws SourceException {
        Repository r = openMirror(false);
        if (r == null) {
            throw new SourceException(Kind.UNKNOWN_COMMIT, "commit " + commitId + " is not available: no local mirror of "
                    + config.redactedUrl() + " in " + config.cacheDir() + " yet (fetch first)");
        }
        return snapshotOf(r, resolve(r, commitId));
    }

    /** The head of the branch as last fetched into the mirror, without fetching; null if never fetched. */
    public String lastFetchedCommit() throws SourceException {
        Repository r = openMirror(false);
        if (r == null) {
            return null;
        }
        try {
            Ref ref = r.exactRef(trackingRef());
            return ref == null || ref.getObjectId() == null ? null : ref.getObjectId().name();
        } catch (IOException e) {
            throw new SourceException(Kind.LOCAL_MIRROR, "cannot read the local mirror in " + config.cacheDir()
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        synchronized (openLock) {
            if (closed) {
                return;
            }
            closed = true;
            if (repo != null) {
                repo.close();
                repo = null;
            }
            if (sshFactory != null) {
                sshFactory.close();
                sshFactory = null;
            }
        }
    }

    @Override
    public String toString() {
        return "GitSource[" + config.redactedUrl() + " " + config.branch() + "]";
    }

    // ---------------------------------------------------------------- mirror

    private String remoteRef() {
        return Constants.R_HEADS + config.branch();
    }

    private String trackingRef() {
        return Constants.R_REMOTES + "origin/" + config.branch();
    }

    /** Opens the mirror; if {@code create}, creates an empty bare repository when there is none. */
    private Repository openMirror(boolean create) throws SourceException {
        synchronized (openLock) {
            if (closed) {
                throw new IllegalStateException(this + " is closed");
            }
            if (repo != null) {
                return repo;
            }
            Path dir = config.cacheDir();
            try {
                if (Files.isRegularFile(dir.resolve("HEAD")) && Files.isDirectory(dir.resolve("objects"))) {
                    removeStaleLocks(dir);
                    repo = new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build();
                    log.debug("reusing git mirror in {}", dir);
                } else if (!create) {
                    return null;
                } else {
                    if (Files.isDirectory(dir)) {
                        try (Stream<Path> entries = Files.list(dir)) {
                            if (entries.findAny().isPresent()) {
                                throw new SourceException(Kind.LOCAL_MIRROR, "cache directory " + dir
                                        + " exists, is not empty and is not a git mirror");
                            }
                        }
                    }
                    Files.createDirectories(dir);
                    repo = Git.init().setBare(true).setDirectory(dir.toFile())
                            .setInitialBranch(config.branch()).call().getRepository();
                    log.info("created git mirror of {} in {}", config.redactedUrl(), dir);
                }
                return repo;
            } catch (IOException | GitAPIException | IllegalArgumentException e) {
                throw new SourceException(Kind.LOCAL_MIRROR, "cannot open the local git mirror in " + dir + ": "
                        + scrub(e.getMessage()), e);
            }
        }
    }

    /**
     * Deletes ref lock files left by a process that died during a fetch; they would fail every later fetch
     * ("cannot lock ref"). Safe because the mirror has a single writer: this source, opened once per process.
     */
    private static void removeStaleLocks(Path dir) throws IOException {
        List<Path> locks = new ArrayList<>();
        for (String name : List.of("packed-refs.lock", "config.lock", "HEAD.lock", "shallow.lock")) {
            if (Files.exists(dir.resolve(name))) {
                locks.add(dir.resolve(name));
            }
        }
        Path refs = dir.resolve("refs");
        if (Files.isDirectory(refs)) {
            try (Stream<Path> walk = Files.walk(refs)) {
                walk.filter(p -> p.getFileName().toString().endsWith(".lock") && Files.isRegularFile(p))
                        .forEach(locks::add);
            }
        }
        for (Path lock : locks) {
            log.warn("removing stale lock {} in git mirror (left by an interrupted fetch)", dir.relativize(lock));
            Files.deleteIfExists(lock);
        }
    }

    // ---------------------------------------------------------------- fetch

    private ObjectId fetch(Repository r) throws SourceException {
        FetchCommand fetch = Git.wrap(r).fetch()
                .setRemote(config.url())
                .setRefSpecs(new RefSpec("+" + remoteRef() + ":" + trackingRef()))
                .setTagOpt(TagOpt.NO_TAGS)
                .setTimeout(timeoutSeconds);
        String scheme = config.scheme();
        if (scheme.equals("http") || scheme.equals("https")) {
            if (config.httpUsernameEnv() != null || config.httpPasswordEnv() != null) {
                String user = config.httpUsernameEnv() == null ? HTTP_USER_DEFAULT
                        : requireEnv(config.httpUsernameEnv(), "HTTP user name");
                String password = config.httpPasswordEnv() == null ? ""
                        : requireEnv(config.httpPasswordEnv(), "HTTP password");
                fetch.setCredentialsProvider(new UsernamePasswordCredentialsProvider(user, password));
            }
        } else if (scheme.equals("ssh")) {
            SshdSessionFactory factory = sshFactory();
            fetch.setTransportConfigCallback(t -> {
                if (t instanceof SshTransport ssh) {
                    ssh.setSshSessionFactory(factory);
                }
            });
        }
        try {
            fetch.call();
        } catch (InvalidRemoteException e) {
            throw new SourceException(Kind.UNREACHABLE, "cannot reach " + config.redactedUrl() + ": "
                    + detail(e), e);
        } catch (org.eclipse.jgit.api.errors.TransportException e) {
            throw classify(e);
        } catch (GitAPIException | RuntimeException e) {
            throw new SourceException(Kind.TRANSPORT, "fetching branch '" + config.branch() + "' from "
                    + config.redactedUrl() + " failed: " + detail(e), e);
        }
        try {
            Ref ref = r.exactRef(trackingRef());
            if (ref == null || ref.getObjectId() == null) {
                throw unknownBranch(null);
            }
            return ref.getObjectId();
        } catch (IOException e) {
            throw new SourceException(Kind.LOCAL_MIRROR, "cannot read the local mirror in " + config.cacheDir()
                    + ": " + scrub(e.getMessage()), e);
        }
    }

    private String requireEnv(String name, String what) throws SourceException {
        String value = env.apply(name);
        if (value == null) {
            throw new SourceException(Kind.AUTHENTICATION, "environment variable " + name + " (" + what
                    + " for " + config.redactedUrl() + ") is not set");
        }
        return value;
    }

    private SourceException unknownBranch(Throwable cause) {
        return new SourceException(Kind.UNKNOWN_BRANCH, "branch '" + config.branch() + "' does not exist in "
                + config.redactedUrl(), cause);
    }

    private SourceException classify(Exception e) {
        String all = allMessages(e);
        String lower = all.toLowerCase(Locale.ROOT);
        String noSuchBranch = java.text.MessageFormat.format(JGitText.get().remoteDoesNotHaveSpec, remoteRef());
        if (all.contains(noSuchBranch)) {
            return unknownBranch(e);
        }
        String url = config.redactedUrl();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t instanceof NoRouteToHostException || t instanceof SocketTimeoutException) {
                return new SourceException(Kind.UNREACHABLE, "cannot reach " + url + ": "
                        + detail(describe(t)), e);
            }
            if (t instanceof NoRemoteRepositoryException) {
                return new SourceException(Kind.UNREACHABLE, "no repository at " + url + ": "
                        + detail(t), e);
            }
        }
        if (lower.contains("server key did not validate") || lower.contains("host key")
                || lower.contains("authenticity of host") || lower.contains("known hosts")
                || lower.contains("identification has changed")) {
            return new SourceException(Kind.HOST_KEY, "the SSH host key of " + url + " is not trusted"
                    + (config.knownHostsFile() != null ? " by " + config.knownHostsFile() : " (no matching known_hosts entry)")
                    + ": " + detail(e), e);
        }
        if (lower.contains("credentialsprovider")) {
            return new SourceException(Kind.AUTHENTICATION, "authentication to " + url
                    + " failed: the server requires credentials and none are configured"
                    + " (set httpUsernameEnv/httpPasswordEnv)", e);
        }
        if (lower.contains("not authorized") || lower.contains("authentication") || lower.contains("auth fail")
                || lower.contains("permission denied") || lower.contains("no more keys to try")
                || lower.contains("credentialsprovider") || lower.contains("403 forbidden")) {
            String with = config.scheme().equals("ssh") && config.sshKeyFile() != null
                    ? " with key " + config.sshKeyFile() : "";
            return new SourceException(Kind.AUTHENTICATION, "authentication to " + url + with + " failed: "
                    + detail(e), e);
        }
        if (lower.contains("connection refused") || lower.contains("connection reset")
                || lower.contains("timed out") || lower.contains("time out") || lower.contains("unknown host")
                || lower.contains("connection failed") || lower.contains("no route to host")) {
            return new SourceException(Kind.UNREACHABLE, "cannot reach " + url + ": " + detail(e), e);
        }
        if (lower.contains("repository not found") || lower.contains("not exported")
                || lower.contains("no such repository")
                || lower.contains("does not appear to be a git repository") || lower.contains("not found")) {
            return new SourceException(Kind.UNREACHABLE, "no repository at " + url + ": " + detail(e), e);
        }
        return new SourceException(Kind.TRANSPORT, "fetching branch '" + config.branch() + "' from " + url
                + " failed: " + detail(e), e);
    }

    /** The root message, scrubbed, without JGit's "url: " prefix (the caller names the URL). */
    private String detail(Throwable e) {
        return detail(rootMessage(e));
    }

    private String detail(String message) {
        String msg = scrub(message);
        String prefix = config.redactedUrl() + ": ";
        while (msg.startsWith(prefix)) {
            msg = msg.substring(prefix.length());
        }
        return msg;
    }

    private static String describe(Throwable t) {
        if (t instanceof UnknownHostException) {
            return "unknown host " + t.getMessage();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private static String allMessages(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                sb.append(t.getMessage()).append('\n');
            }
        }
        return sb.toString();
    }

    /** The most specific message of the chain (JGit wraps the useful one). */
    private static String rootMessage(Throwable e) {
        String msg = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                msg = t.getMessage();
            }
        }
        return msg == null ? e.getClass().getSimpleName() : msg;
    }

    /** Removes the URL's password and the configured HTTP password from a message. */
    private String scrub(String message) {
        if (message == null) {
            return "";
        }
        String s = message.replace(config.url(), config.redactedUrl());
        s = GitSourceConfig.redact(s);
        s = s.replaceAll("(://[^/:@\\s]*):[^/@\\s]*@", "$1:***@");
        if (config.httpPasswordEnv() != null) {
            String password = env.apply(config.httpPasswordEnv());
            if (password != null && !password.isEmpty()) {
                s = s.replace(password, "***");
            }
        }
        return s.strip();
    }

    private SshdSessionFactory sshFactory() throws SourceException {
        synchronized (openLock) {
            if (sshFactory != null) {
                return sshFactory;
            }
            Path key = config.sshKeyFile();
            Path knownHosts = config.knownHostsFile();
            if (key != null && !Files.isReadable(key)) {
                throw new SourceException(Kind.AUTHENTICATION, "ssh key file " + key
                        + " does not exist or is not readable");
            }
            if (knownHosts != null && !Files.isReadable(knownHosts)) {
                throw new SourceException(Kind.HOST_KEY, "known_hosts file " + knownHosts
                        + " does not exist or is not readable");
            }
            // An explicit client config: strict host key checking (never accept unknown or changed keys),
            // no prompts, and only the configured identity when one is given.
            StringBuilder sshConfig = new StringBuilder("Host *\n")
                    .append("  StrictHostKeyChecking yes\n")
                    .append("  BatchMode yes\n")
                    .append("  PreferredAuthentications publickey\n");
            if (key != null) {
                sshConfig.append("  IdentitiesOnly yes\n")
                        .append("  IdentityFile \"").append(key.toAbsolutePath()).append("\"\n");
            }
            if (knownHosts != null) {
                sshConfig.append("  UserKnownHostsFile \"").append(knownHosts.toAbsolutePath()).append("\"\n");
            }
            Path configFile = config.cacheDir().resolve(SSH_CONFIG_NAME);
            try {
                Files.writeString(configFile, sshConfig.toString(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new SourceException(Kind.LOCAL_MIRROR, "cannot write " + configFile + ": " + e.getMessage(), e);
            }
            File home = new File(System.getProperty("user.home"));
            SshdSessionFactoryBuilder builder = new SshdSessionFactoryBuilder()
                    .setHomeDirectory(home)
                    .setSshDirectory(new File(home, ".ssh"))
                    .setPreferredAuthentications("publickey")
                    .setConfigFile(f -> configFile.toFile());
            if (key != null) {
                builder.setDefaultIdentities(f -> List.of(key.toAbsolutePath()));
            }
            if (knownHosts != null) {
                builder.setDefaultKnownHostsFiles(f -> List.of(knownHosts.toAbsolutePath()));
            }
            sshFactory = builder.build(new JGitKeyCache());
            return sshFactory;
        }
    }

    // ---------------------------------------------------------------- read

    private ObjectId resolve(Repository r, String commitId) throws SourceException {
        String s = commitId == null ? "" : commitId.strip();
        if (ObjectId.isId(s)) {
            return ObjectId.fromString(s);
        }
        if (!HEX.matcher(s).matches()) {
            throw new SourceException(Kind.UNKNOWN_COMMIT, "'" + s + "' is not a commit id");
        }
        try (ObjectReader reader = r.newObjectReader()) {
            Collection<ObjectId> matches = reader.resolve(AbbreviatedObjectId.fromString(s));
            if (matches.size() == 1) {
                return matches.iterator().next();
            }
            throw new SourceException(Kind.UNKNOWN_COMMIT, matches.isEmpty()
                    ? "commit " + s + " is not in the local mirror of " + config.redactedUrl()
                    : "commit id " + s + " is ambiguous in the local mirror");
        } catch (IOException e) {
            throw new SourceException(Kind.LOCAL_MIRROR, "cannot read the local mirror in " + config.cacheDir()
                    + ": " + e.getMessage(), e);
        }
    }

    private Snapshot snapshotOf(Repository r, ObjectId commitId) throws SourceException {
        String path = config.path();
        try (RevWalk rw = new RevWalk(r)) {
            ObjectReader reader = rw.getObjectReader();
            RevCommit commit;
            try {
                commit = rw.parseCommit(commitId);
            } catch (MissingObjectException e) {
                throw new SourceException(Kind.UNKNOWN_COMMIT, "commit " + commitId.name()
                        + " is not in the local mirror of " + config.redactedUrl(), e);
            } catch (IncorrectObjectTypeException e) {
                throw new SourceException(Kind.UNKNOWN_COMMIT, commitId.name() + " is not a commit", e);
            }
            ObjectId root = commit.getTree();
            if (!path.isEmpty()) {
                try (TreeWalk at = TreeWalk.forPath(reader, path, commit.getTree())) {
                    if (at == null) {
                        throw new SourceException(Kind.PATH_NOT_FOUND, "path '" + path + "' does not exist in commit "
                                + commit.name() + " of " + config.redactedUrl() + " (branch '" + config.branch() + "')");
                    }
                    if (at.getFileMode(0) != FileMode.TREE) {
                        throw new SourceException(Kind.PATH_NOT_FOUND, "path '" + path + "' in commit "
                                + commit.name() + " of " + config.redactedUrl() + " is not a directory");
                    }
                    root = at.getObjectId(0);
                }
            }
            List<SourceFile> files = new ArrayList<>();
            SourceText.Budget budget = new SourceText.Budget();
            try (TreeWalk walk = new TreeWalk(reader)) {
                walk.addTree(root);
                walk.setRecursive(false);
                while (walk.next()) {
                    String name = walk.getNameString();
                    if (name.startsWith(".")) {
                        continue;
                    }
                    FileMode mode = walk.getFileMode(0);
                    if (mode == FileMode.TREE) {
                        walk.enterSubtree();
                    } else if ((mode == FileMode.REGULAR_FILE || mode == FileMode.EXECUTABLE_FILE) && isYaml(name)) {
                        files.add(readBlob(reader, walk, budget));
                    }
                }
            }
            files.sort(Comparator.comparing(SourceFile::path));
            PersonIdent author = commit.getAuthorIdent();
            return new Snapshot(commit.name(), Instant.ofEpochSecond(commit.getCommitTime()),
                    author.getName() + " <" + author.getEmailAddress() + ">", commit.getShortMessage(), files);
        } catch (IOException e) {
            throw new SourceException(Kind.LOCAL_MIRROR, "cannot read commit " + commitId.name() + " from the local mirror in "
                    + config.cacheDir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The file's bytes, or the file marked unread when over a limit: the loader rejects the revision with the file
     * and the reason, so a big file is not a fetch error repeated every poll. Decoding is the loader's.
     */
    private static SourceFile readBlob(ObjectReader reader, TreeWalk walk, SourceText.Budget budget)
            throws IOException {
        ObjectLoader blob = reader.open(walk.getObjectId(0), Constants.OBJ_BLOB);
        return budget.read(walk.getPathString(), blob.getSize(), () -> blob.getCachedBytes(SourceText.MAX_FILE_BYTES));
    }

    private static boolean isYaml(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".yaml") || lower.endsWith(".yml");
    }
}
