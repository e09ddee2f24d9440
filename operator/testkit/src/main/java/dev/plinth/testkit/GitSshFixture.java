package dev.plinth.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;

/**
 * An SSH server on loopback (Apache MINA sshd, the library JGit's client is built on) that runs the real
 * {@code git-upload-pack}/{@code git-receive-pack} for repositories under a base directory, accepting one
 * client key. It generates a host key, a client key pair (with {@code ssh-keygen}, OpenSSH format, no
 * passphrase) and a matching known_hosts file.
 *
 * <pre>{@code
 * try (GitDaemonFixture git = GitDaemonFixture.start();
 *      GitSshFixture ssh = GitSshFixture.start(git.baseDir(), dir)) {
 *     GitSourceConfig.of(ssh.url(), cache).withSsh(ssh.clientKey(), ssh.knownHosts());
 * }
 * }</pre>
 */
public final class GitSshFixture implements AutoCloseable {

    private static final Pattern GIT_COMMAND =
            Pattern.compile("(git-upload-pack|git-receive-pack) '?/?([A-Za-z0-9._/-]+?)'?");

    private final Path baseDir;
    private final Path dir;
    private final SshServer server;
    private final KeyPair hostKey;

    private GitSshFixture(Path baseDir, Path dir) throws IOException, GeneralSecurityException {
        this.baseDir = baseDir.toAbsolutePath().normalize();
        this.dir = dir;
        Files.createDirectories(dir);
        this.hostKey = newEcKeyPair();
        generateClientKey(dir.resolve("id_ed25519"));
        Files.copy(dir.resolve("id_ed25519.pub"), dir.resolve("authorized_keys"));
        this.server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        server.setPublickeyAuthenticator(new AuthorizedKeysAuthenticator(dir.resolve("authorized_keys")));
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setCommandFactory((channel, command) -> new GitCommand(command));
    }

    /** Starts serving the repositories under {@code baseDir}; keys and known_hosts go to {@code dir}. */
    public static GitSshFixture start(Path baseDir, Path dir) throws IOException {
        try {
            GitSshFixture f = new GitSshFixture(baseDir, dir);
            f.server.start();
            Files.writeString(f.knownHosts(), f.knownHostsLine(f.hostKey) + "\n");
            return f;
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    public int port() {
        return server.getPort();
    }

    /** {@code ssh://git@127.0.0.1:PORT/plinth.git}. */
    public String url() {
        return "ssh://git@127.0.0.1:" + port() + "/" + GitDaemonFixture.REPO_NAME;
    }

    /** The accepted client private key (OpenSSH format, no passphrase). */
    public Path clientKey() {
        return dir.resolve("id_ed25519");
    }

    /** A known_hosts file trusting this server's host key. */
    public Path knownHosts() {
        return dir.resolve("known_hosts");
    }

    /** Writes a known_hosts file that lists a different key for this server (an impostor's view). */
    public Path writeWrongKnownHosts(Path file) throws IOException {
        try {
            Files.writeString(file, knownHostsLine(newEcKeyPair()) + "\n");
            return file;
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    /** Generates another client key the server does not accept. */
    public Path writeUnknownClientKey(Path file) throws IOException {
        generateClientKey(file);
        return file;
    }

    @Override
    public void close() {
        try {
            server.stop(true);
        } catch (IOException ignored) {
            // best effort
        }
    }

    private String knownHostsLine(KeyPair key) {
        return "[127.0.0.1]:" + port() + " " + PublicKeyEntry.toString(key.getPublic());
    }

    private static KeyPair newEcKeyPair() throws GeneralSecurityException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        return gen.generateKeyPair();
    }

    private static void generateClientKey(Path file) throws IOException {
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "plinth-test",
                "-f", file.toString()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("ssh-keygen failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** Runs one git service process and pumps the channel's streams to and from it. */
    private final class GitCommand implements Command {
        private final String command;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private Process process;

        GitCommand(String command) {
            this.command = command;
        }

        @Override public void setInputStream(InputStream in) { this.in = in; }
        @Override public void setOutputStream(OutputStream out) { this.out = out; }
        @Override public void setErrorStream(OutputStream err) { this.err = err; }
        @Override public void setExitCallback(ExitCallback exit) { this.exit = exit; }

        @Override
        public void start(ChannelSession channel, Environment env) throws IOException {
            Matcher m = GIT_COMMAND.matcher(command.strip());
            Path repo = m.matches() ? baseDir.resolve(m.group(2)).normalize() : null;
            if (repo == null || !repo.startsWith(baseDir) || !Files.isDirectory(repo)) {
                err.write(("fatal: not a served repository: " + command + "\n").getBytes(StandardCharsets.UTF_8));
                err.flush();
                exit.onExit(128, "not a served repository");
                return;
            }
            String service = m.group(1).substring("git-".length());
            ProcessBuilder pb = new ProcessBuilder(List.of("git", service, repo.toString()));
            Map<String, String> penv = pb.environment();
            penv.put("GIT_CONFIG_NOSYSTEM", "1");
            penv.put("GIT_CONFIG_GLOBAL", "/dev/null");
            String protocol = env.getEnv().get("GIT_PROTOCOL");
            if (protocol != null) {
                penv.put("GIT_PROTOCOL", protocol);
            }
            process = pb.start();
            Thread stdin = pump(in, process.getOutputStream(), true, "stdin");
            Thread stderr = pump(process.getErrorStream(), err, false, "stderr");
            Thread stdout = pump(process.getInputStream(), out, false, "stdout");
            Thread waiter = new Thread(() -> {
                try {
                    stdout.join();
                    stderr.join();
                    int code = process.waitFor();
                    exit.onExit(code);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    stdin.interrupt();
                }
            }, "git-ssh-fixture-wait");
            waiter.setDaemon(true);
            waiter.start();
        }

        @Override
        public void destroy(ChannelSession channel) {
            if (process != null) {
                process.destroy();
            }
        }

        private Thread pump(InputStream from, OutputStream to, boolean closeTo, String name) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[8192];
                try {
                    int n;
                    while ((n = from.read(buf)) != -1) {
                        to.write(buf, 0, n);
                        to.flush();
                    }
                } catch (IOException ignored) {
                    // the other side went away
                } finally {
                    if (closeTo) {
                        try {
                            to.close();
                        } catch (IOException ignored) {
                            // nothing to do
                        }
                    }
                }
            }, "git-ssh-fixture-" + name);
            t.setDaemon(true);
            t.start();
            return t;
        }
    }
}
