package dev.plinth.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code git daemon} on loopback serving one bare repository, for tests.
 *
 * <pre>{@code
 * try (GitDaemonFixture git = GitDaemonFixture.start()) {
 *     String c1 = git.commit("main", Map.of("state/nodes.yaml", "..."), "first");
 *     GitSourceConfig cfg = GitSourceConfig.of(git.url(), cacheDir).withPath("state");
 *     git.stop();      // the port now refuses connections
 *     git.restart();   // same port, same repository
 * }
 * }</pre>
 *
 * Commits are made with the git CLI in a working clone that talks to the bare repository through the file
 * system, so they work while the daemon is stopped. The daemon is started directly
 * ({@code /usr/lib/git-core/git-daemon}) so that its {@link Process} is the daemon itself and is stopped by
 * that handle only. {@link #close()} stops it and deletes the temporary directory.
 */
public final class GitDaemonFixture implements AutoCloseable {

    public static final String REPO_NAME = "plinth.git";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final String[] DAEMON_CANDIDATES = {
        "/usr/lib/git-core/git-daemon", "/usr/libexec/git-core/git-daemon"
    };

    private final Path root;
    private final Path base;
    private final Path bare;
    private final Path work;
    private final Path log;
    private final int port;
    private Process daemon;

    private GitDaemonFixture(Path root, int port) {
        this.root = root;
        this.base = root.resolve("served");
        this.bare = base.resolve(REPO_NAME);
        this.work = root.resolve("work");
        this.log = root.resolve("git-daemon.log");
        this.port = port;
    }

    /** Creates an empty bare repository (default branch {@code main}) in a new temp dir and serves it. */
    public static GitDaemonFixture start() throws IOException {
        Path root = Files.createTempDirectory("plinth-git-fixture");
        GitDaemonFixture f = new GitDaemonFixture(root, freeLoopbackPort());
        try {
            Files.createDirectories(f.base);
            f.git(root, "init", "--quiet", "--bare", "--initial-branch=main", f.bare.toString());
            f.git(root, "clone", "--quiet", f.bare.toString(), f.work.toString());
            f.startDaemon();
            return f;
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** A loopback port nothing listens on (at the moment of the call). */
    public static int freeLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    /** {@code git://127.0.0.1:PORT/plinth.git}. */
    public String url() {
        return "git://127.0.0.1:" + port + "/" + REPO_NAME;
    }

    /** {@code file:///.../plinth.git} (no daemon involved). */
    public String fileUrl() {
        return bare.toUri().toString();
    }

    public Path bareRepo() {
        return bare;
    }

    /** The directory served (the daemon's base path); it holds {@value #REPO_NAME}. */
    public Path baseDir() {
        return base;
    }

    public int port() {
        return port;
    }

    /** Temp directory owned by the fixture (deleted by close); handy for cache dirs. */
    public Path tempDir() {
        return root;
    }

    public boolean isRunning() {
        return daemon != null && daemon.isAlive();
    }

    /**
     * Commits files to {@code branch} (created as an orphan branch if missing) and pushes it to the bare repo.
     *
     * @param files path (relative, '/' separated) -> content; a null content deletes the file
     * @return the full id of the new commit
     */
    public synchronized String commit(String branch, Map<String, String> files, String message) {
        try {
            git(work, "fetch", "--quiet", "origin");
            boolean exists = !git(work, "ls-remote", "--heads", "origin", "refs/heads/" + branch).isBlank();
            if (exists) {
                git(work, "checkout", "--quiet", "-B", branch, "origin/" + branch);
            } else {
                // An orphan branch: point HEAD at the unborn branch and empty the index and tree.
                git(work, "update-ref", "-d", "refs/heads/" + branch);
                git(work, "symbolic-ref", "HEAD", "refs/heads/" + branch);
                git(work, "rm", "-r", "-q", "-f", "--cached", "--ignore-unmatch", ".");
                git(work, "clean", "-q", "-f", "-d", "-x");
            }
            for (Map.Entry<String, String> e : files.entrySet()) {
                Path p = work.resolve(e.getKey());
                if (e.getValue() == null) {
                    Files.deleteIfExists(p);
                } else {
                    Files.createDirectories(p.getParent());
                    Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
                }
            }
            git(work, "add", "-A", ".");
            git(work, "commit", "--quiet", "--allow-empty", "-m", message);
            git(work, "push", "--quiet", "--force", "origin", "HEAD:refs/heads/" + branch);
            return git(work, "rev-parse", "HEAD").strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Commits to {@code main}. */
    public String commit(Map<String, String> files, String message) {
        return commit("main", files, message);
    }

    /** Deletes files on {@code branch}. */
    public String delete(String branch, String message, String... paths) {
        Map<String, String> m = new HashMap<>();
        for (String p : paths) {
            m.put(p, null);
        }
        return commit(branch, m, message);
    }

    /** Current head of a branch in the bare repository, or null. */
    public String head(String branch) {
        try {
            String out = git(bare, "for-each-ref", "--format=%(objectname)", "refs/heads/" + branch).strip();
            return out.isEmpty() ? null : out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the daemon (by its own process handle); the port then refuses connections. Idempotent. */
    public synchronized void stop() {
        if (daemon == null) {
            return;
        }
        Process p = daemon;
        daemon = null;
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Connections accepted before the stop are served by forked children; they end on their own.
    }

    /** Starts the daemon again on the same port. */
    public synchronized void restart() throws IOException {
        if (daemon == null) {
            startDaemon();
        }
    }

    @Override
    public synchronized void close() {
        stop();
        deleteRecursively(root);
    }

    private void startDaemon() throws IOException {
        List<String> cmd = List.of(daemonBinary(), "--reuseaddr", "--export-all", "--enable=receive-pack",
                "--base-path=" + base, "--listen=127.0.0.1", "--port=" + port, "--informative-errors", base.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        isolate(pb);
        Process p = pb.start();
        daemon = p;
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                daemon = null;
                throw new IOException("git daemon exited with " + p.exitValue() + ": " + readLog());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
                return;
            } catch (IOException notYet) {
                sleep(50);
            }
        }
        stop();
        throw new IOException("git daemon did not accept connections on 127.0.0.1:" + port + " within "
                + START_TIMEOUT + ": " + readLog());
    }

    private String readLog() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(log unreadable)";
        }
    }

    private static String daemonBinary() {
        for (String c : DAEMON_CANDIDATES) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        throw new IllegalStateException("git-daemon not found in " + String.join(", ", DAEMON_CANDIDATES));
    }

    /** Runs git with a neutral configuration; returns stdout, throws with the output on failure. */
    private String git(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("git");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        isolate(pb);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timeout: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
        }
        return out;
    }

    private void isolate(ProcessBuilder pb) {
        Map<String, String> env = pb.environment();
        env.put("HOME", root.toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_CONFIG_GLOBAL", "/dev/null");
        env.put("GIT_AUTHOR_NAME", "Plinth Test");
        env.put("GIT_AUTHOR_EMAIL", "test@plinth.invalid");
        env.put("GIT_COMMITTER_NAME", "Plinth Test");
        env.put("GIT_COMMITTER_EMAIL", "test@plinth.invalid");
        env.put("GIT_TERMINAL_PROMPT", "0");
        env.remove("GIT_DIR");
        env.remove("GIT_WORK_TREE");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
