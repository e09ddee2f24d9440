package dev.plinth.source;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where the desired state lives in Git and how to reach it.
 *
 * @param url             repository URL: {@code file://}, {@code http(s)://}, {@code git://} or {@code ssh://}.
 *                        A password embedded in the URL is accepted but never shown by {@link #toString()};
 *                        prefer {@code httpPasswordEnv}.
 * @param branch          branch to follow (default {@code main}; a {@code refs/heads/} prefix is stripped)
 * @param path            directory inside the repository holding the desired state; {@code ""} or {@code "."}
 *                        is the root. Normalised to no leading/trailing {@code /}; {@code ..} is rejected.
 * @param pollInterval    how often to fetch (default 1 minute)
 * @param cacheDir        directory of the local bare mirror (created if missing, reused after a restart)
 * @param sshKeyFile      private key for {@code ssh://} (null: the default identities of {@code ~/.ssh})
 * @param knownHostsFile  known_hosts for {@code ssh://} (null: {@code ~/.ssh/known_hosts}); host keys are
 *                        always checked strictly
 * @param httpUsernameEnv name of the environment variable holding the HTTP user name (null: none)
 * @param httpPasswordEnv name of the environment variable holding the HTTP password or token (null: none)
 */
public record GitSourceConfig(
        String url,
        String branch,
        String path,
        Duration pollInterval,
        Path cacheDir,
        Path sshKeyFile,
        Path knownHostsFile,
        String httpUsernameEnv,
        String httpPasswordEnv) {

    public static final String DEFAULT_BRANCH = "main";
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMinutes(1);
    private static final Set<String> SCHEMES = Set.of("file", "http", "https", "git", "ssh");

    public GitSourceConfig {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("git url is required");
        }
        url = url.strip();
        String scheme = schemeOf(url);
        if (!SCHEMES.contains(scheme)) {
            throw new IllegalArgumentException("unsupported git url scheme '" + scheme
                    + "' in " + redact(url) + " (use file://, http://, https://, git:// or ssh://)");
        }
        branch = (branch == null || branch.isBlank()) ? DEFAULT_BRANCH : branch.strip();
        if (branch.startsWith("refs/heads/")) {
            branch = branch.substring("refs/heads/".length());
        }
        if (branch.isEmpty() || branch.startsWith("-") || branch.contains("..") || branch.contains(" ")
                || branch.contains(":") || branch.endsWith("/") || branch.endsWith(".lock")) {
            throw new IllegalArgumentException("invalid branch name '" + branch + "'");
        }
        path = normalizePath(path);
        pollInterval = pollInterval == null ? DEFAULT_POLL_INTERVAL : pollInterval;
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("pollInterval must be positive, got " + pollInterval);
        }
        Objects.requireNonNull(cacheDir, "cacheDir");
        httpUsernameEnv = blankToNull(httpUsernameEnv);
        httpPasswordEnv = blankToNull(httpPasswordEnv);
    }

    /** A config with defaults: branch {@code main}, the repository root, a 1 minute poll, no credentials. */
    public static GitSourceConfig of(String url, Path cacheDir) {
        return new GitSourceConfig(url, null, "", null, cacheDir, null, null, null, null);
    }

    public GitSourceConfig withBranch(String newBranch) {
        return new GitSourceConfig(url, newBranch, path, pollInterval, cacheDir, sshKeyFile, knownHostsFile,
                httpUsernameEnv, httpPasswordEnv);
    }

    public GitSourceConfig withPath(String newPath) {
        return new GitSourceConfig(url, branch, newPath, pollInterval, cacheDir, sshKeyFile, knownHostsFile,
                httpUsernameEnv, httpPasswordEnv);
    }

    public GitSourceConfig withPollInterval(Duration newPollInterval) {
        return new GitSourceConfig(url, branch, path, newPollInterval, cacheDir, sshKeyFile, knownHostsFile,
                httpUsernameEnv, httpPasswordEnv);
    }

    public GitSourceConfig withUrl(String newUrl) {
        return new GitSourceConfig(newUrl, branch, path, pollInterval, cacheDir, sshKeyFile, knownHostsFile,
                httpUsernameEnv, httpPasswordEnv);
    }

    public GitSourceConfig withSsh(Path newSshKeyFile, Path newKnownHostsFile) {
        return new GitSourceConfig(url, branch, path, pollInterval, cacheDir, newSshKeyFile, newKnownHostsFile,
                httpUsernameEnv, httpPasswordEnv);
    }

    public GitSourceConfig withHttpCredentialsFromEnv(String usernameEnv, String passwordEnv) {
        return new GitSourceConfig(url, branch, path, pollInterval, cacheDir, sshKeyFile, knownHostsFile,
                usernameEnv, passwordEnv);
    }

    public Optional<Path> sshKey() {
        return Optional.ofNullable(sshKeyFile);
    }

    public Optional<Path> knownHosts() {
        return Optional.ofNullable(knownHostsFile);
    }

    /** The URL scheme in lower case ({@code file}, {@code http}, {@code https}, {@code git} or {@code ssh}). */
    public String scheme() {
        return schemeOf(url);
    }

    /**
     * The URL with any password (user info after ':') replaced by {@code ***}, for messages and logs. For
     * http(s) a lone user name is hidden too, as it is often a token.
     */
    public String redactedUrl() {
        return redact(url);
    }

    @Override
    public String toString() {
        return "GitSourceConfig[url=" + redactedUrl()
                + ", branch=" + branch
                + ", path=" + (path.isEmpty() ? "." : path)
                + ", pollInterval=" + pollInterval
                + ", cacheDir=" + cacheDir
                + (sshKeyFile != null ? ", sshKeyFile=" + sshKeyFile : "")
                + (knownHostsFile != null ? ", knownHostsFile=" + knownHostsFile : "")
                + (httpUsernameEnv != null ? ", httpUsernameEnv=$" + httpUsernameEnv : "")
                + (httpPasswordEnv != null ? ", httpPasswordEnv=$" + httpPasswordEnv : "")
                + "]";
    }

    static String redact(String url) {
        try {
            URI uri = new URI(url);
            String userInfo = uri.getRawUserInfo();
            if (userInfo != null && userInfo.contains(":")) {
                String user = userInfo.substring(0, userInfo.indexOf(':'));
                return url.replace(userInfo + "@", user + ":***@");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (userInfo != null && (scheme.equals("http") || scheme.equals("https"))) {
                // https://TOKEN@host/... is a common way to pass a token: hide a lone user too.
                return url.replace(userInfo + "@", "***@");
            }
            return url;
        } catch (URISyntaxException e) {
            // Fall back to a crude scrub of "scheme://user:secret@".
            return url.replaceAll("(://[^/:@]*):[^/@]*@", "$1:***@");
        }
    }

    private static String schemeOf(String url) {
        int i = url.indexOf("://");
        return i <= 0 ? "" : url.substring(0, i).toLowerCase(Locale.ROOT);
    }

    private static String normalizePath(String p) {
        if (p == null) {
            return "";
        }
        String s = p.strip().replace('\\', '/');
        StringBuilder out = new StringBuilder();
        for (String segment : s.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                throw new IllegalArgumentException("path must stay inside the repository: '" + p + "'");
            }
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(segment);
        }
        return out.toString();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
