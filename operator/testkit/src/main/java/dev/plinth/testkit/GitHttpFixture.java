package dev.plinth.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Smart HTTP for tests: the real {@code git http-backend} run as a CGI program behind the JDK's HTTP server,
 * on loopback, optionally behind HTTP Basic authentication.
 *
 * <pre>{@code
 * try (GitDaemonFixture git = GitDaemonFixture.start();
 *      GitHttpFixture http = GitHttpFixture.start(git.baseDir(), "deploy", "s3cret")) {
 *     http.url(); // http://127.0.0.1:PORT/plinth.git
 * }
 * }</pre>
 */
public final class GitHttpFixture implements AutoCloseable {

    private static final String[] BACKEND_CANDIDATES = {
        "/usr/lib/git-core/git-http-backend", "/usr/libexec/git-core/git-http-backend"
    };

    private final Path projectRoot;
    private final String user;
    private final String password;
    private final HttpServer server;
    private final ExecutorService executor;

    private GitHttpFixture(Path projectRoot, String user, String password) throws IOException {
        this.projectRoot = projectRoot;
        this.user = user;
        this.password = password;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "git-http-fixture");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    /** Serves the repositories under {@code projectRoot}; with a non-null user, requires Basic auth. */
    public static GitHttpFixture start(Path projectRoot, String user, String password) throws IOException {
        GitHttpFixture f = new GitHttpFixture(projectRoot, user, password);
        f.server.start();
        return f;
    }

    /** Serves without authentication. */
    public static GitHttpFixture start(Path projectRoot) throws IOException {
        return start(projectRoot, null, null);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:PORT/plinth.git}. */
    public String url() {
        return url(GitDaemonFixture.REPO_NAME);
    }

    public String url(String repoName) {
        return "http://127.0.0.1:" + port() + "/" + repoName;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (user != null && !authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"plinth-test\"");
                ex.sendResponseHeaders(401, -1);
                return;
            }
            byte[] body = ex.getRequestBody().readAllBytes();
            ProcessBuilder pb = new ProcessBuilder(backendBinary());
            Map<String, String> env = pb.environment();
            env.clear();
            env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
            env.put("GIT_PROJECT_ROOT", projectRoot.toString());
            env.put("GIT_HTTP_EXPORT_ALL", "1");
            env.put("GIT_CONFIG_NOSYSTEM", "1");
            env.put("GIT_CONFIG_GLOBAL", "/dev/null");
            env.put("HOME", projectRoot.toString());
            env.put("GATEWAY_INTERFACE", "CGI/1.1");
            env.put("SERVER_PROTOCOL", "HTTP/1.1");
            env.put("REQUEST_METHOD", ex.getRequestMethod());
            env.put("PATH_INFO", ex.getRequestURI().getRawPath());
            env.put("QUERY_STRING", ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery());
            env.put("REMOTE_ADDR", ex.getRemoteAddress().getAddress().getHostAddress());
            if (user != null) {
                env.put("REMOTE_USER", user);
                env.put("AUTH_TYPE", "Basic");
            }
            String contentType = ex.getRequestHeaders().getFirst("Content-Type");
            if (contentType != null) {
                env.put("CONTENT_TYPE", contentType);
            }
            env.put("CONTENT_LENGTH", Integer.toString(body.length));
            String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
            if (encoding != null) {
                env.put("HTTP_CONTENT_ENCODING", encoding);
            }
            String protocol = ex.getRequestHeaders().getFirst("Git-Protocol");
            if (protocol != null) {
                env.put("GIT_PROTOCOL", protocol);
            }
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            Process p = pb.start();
            Thread writer = new Thread(() -> {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(body);
                } catch (IOException ignored) {
                    // the backend may stop reading early
                }
            }, "git-http-fixture-stdin");
            writer.setDaemon(true);
            writer.start();
            InputStream out = p.getInputStream();
            int status = 200;
            String line;
            while ((line = readLine(out)) != null && !line.isEmpty()) {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (name.equalsIgnoreCase("Status")) {
                    status = Integer.parseInt(value.split(" ")[0]);
                } else {
                    ex.getResponseHeaders().add(name, value);
                }
            }
            ex.sendResponseHeaders(status, 0);
            try (OutputStream response = ex.getResponseBody()) {
                out.transferTo(response);
            }
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean authorized(String header) {
        if (header == null || !header.toLowerCase(Locale.ROOT).startsWith("basic ")) {
            return false;
        }
        String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        return decoded.equals(user + ":" + password);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                break;
            }
            buf.write(b);
        }
        if (b == -1 && buf.size() == 0) {
            return null;
        }
        String s = buf.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static String backendBinary() {
        for (String c : BACKEND_CANDIDATES) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        throw new IllegalStateException("git-http-backend not found in " + String.join(", ", BACKEND_CANDIDATES));
    }
}
