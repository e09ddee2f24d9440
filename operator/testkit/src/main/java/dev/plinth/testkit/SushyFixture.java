package dev.plinth.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Redfish BMC for tests: sushy-tools' {@code sushy-emulator} with its fake system driver (or its libvirt
 * driver in front of real QEMU machines: {@link #startLibvirt}), on a free loopback
 * port, user {@code admin} with a random password (Basic auth through its auth file). Optionally https with a fresh
 * self-signed certificate for 127.0.0.1, and what sushy-tools lacks but real BMCs have (sessions, ETags, task
 * monitors), added by {@code plinth_bmc.py} around the unmodified emulator. The {@code sushy} client library in the
 * same venv cross-checks what a test's driver set.
 *
 * <p>The venv comes from {@code scripts/sushy-tools.sh} (in {@code $SUSHY_VENV}, else
 * {@code ${PLINTH_CACHE:-/var/cache/plinth}/sushy-tools/venv}); when it is missing the fixture runs that script once.
 * Without it the test is skipped with a message, except under CI ({@code CI=true}), where it fails.
 */
public final class SushyFixture implements AutoCloseable {
    public static final String USER = "admin";
    /** The ids (UUIDs) of the two fake systems. */
    public static final String SYSTEM_1 = "5d6c2d0e-1a1b-4c1d-9e1f-000000000001";
    public static final String SYSTEM_2 = "5d6c2d0e-1a1b-4c1d-9e1f-000000000002";

    /** What to start: plain sushy-emulator, or with the extras of {@code plinth_bmc.py}. */
    public record Options(boolean https, boolean sessions, boolean etag, boolean tasks, int sessionTimeoutSeconds) {
        public static Options plain() {
            return new Options(false, false, false, false, 600);
        }

        public Options withHttps() {
            return new Options(true, sessions, etag, tasks, sessionTimeoutSeconds);
        }

        /** Sessions, ETags and task monitors, as a real BMC. */
        public Options withBmcExtras() {
            return new Options(https, true, true, true, sessionTimeoutSeconds);
        }

        boolean extras() {
            return sessions || etag || tasks;
        }
    }

    private static final Object INSTALL = new Object();
    private static volatile boolean installTried;

    private final Path dir;
    private final Path venv;
    private final int port;
    private final String password;
    private final Options options;
    private final Process process;

    private SushyFixture(Path dir, Path venv, int port, String password, Options options, Process process) {
        this.dir = dir;
        this.venv = venv;
        this.port = port;
        this.password = password;
        this.options = options;
        this.process = process;
    }

    /** The venv with sushy-tools and sushy, installing it once when missing; skips (fails under CI) without. */
    public static Path venv() throws IOException, InterruptedException {
        Path venv = venvDir();
        synchronized (INSTALL) {
            if (!ready(venv) && !installTried) {
                installTried = true;
                Path script = script();
                if (script != null) {
                    Process p = new ProcessBuilder(script.toString()).redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                    if (!p.waitFor(10, TimeUnit.MINUTES)) {
                        p.destroyForcibly();
                    }
                }
            }
        }
        if (!ready(venv)) {
            String why = "sushy-tools is not installed in " + venv + ": run scripts/sushy-tools.sh";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(why + " (CI=true: Redfish tests must not be skipped)");
            }
            assumeTrue(false, why);
        }
        return venv;
    }

    private static Path venvDir() {
        String v = System.getenv("SUSHY_VENV");
        if (v != null && !v.isBlank()) {
            return Path.of(v);
        }
        String cache = System.getenv().getOrDefault("PLINTH_CACHE", "/var/cache/plinth");
        return Path.of(cache, "sushy-tools", "venv");
    }

    private static boolean ready(Path venv) {
        return Files.isExecutable(venv.resolve("bin/sushy-emulator")) && Files.isExecutable(venv.resolve("bin/python"));
    }

    /** scripts/sushy-tools.sh of the checkout the tests run in (found upwards from the working directory). */
    private static Path script() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path s = d.resolve("scripts/sushy-tools.sh");
            if (Files.isExecutable(s)) {
                return s;
            }
        }
        return null;
    }

    public static SushyFixture start(Options options) throws IOException, InterruptedException {
        return start(options, List.of());
    }

    /**
     * As {@link #start(Options)}, with these lines added to the emulator's (Python) config file, e.g.
     * {@code SUSHY_EMULATOR_STORAGE} and {@code SUSHY_EMULATOR_DRIVES} for the fake systems' disks.
     */
    public static SushyFixture start(Options options, List<String> extraConfig) throws IOException,
            InterruptedException {
        Path venv = venv();
        Path dir = Files.createTempDirectory("sushy");
        List<String> systems = new ArrayList<>(List.of(
                "SUSHY_EMULATOR_FAKE_DRIVER = True",
                "SUSHY_EMULATOR_STATE_DIR = '" + dir.resolve("state") + "'",
                "SUSHY_EMULATOR_FAKE_SYSTEMS = [",
                "  {'uuid': '" + SYSTEM_1 + "', 'name': 'node-1', 'power_state': 'Off',"
                        + " 'nics': [{'mac': '52:54:00:00:00:01', 'ip': '192.0.2.11'}]},",
                "  {'uuid': '" + SYSTEM_2 + "', 'name': 'node-2', 'power_state': 'Off',"
                        + " 'nics': [{'mac': '52:54:00:00:00:02', 'ip': '192.0.2.12'}]},",
                "]"));
        Files.createDirectories(dir.resolve("state"));
        systems.addAll(extraConfig);
        return launch(venv, dir, options, systems, Map.of());
    }

    /**
     * The emulator with its libvirt driver instead of fake systems: the BMC of real QEMU machines, limited to the
     * given domains, its inserted media kept in {@code pool}. Needs Debian's python3-libvirt: only its binding is put
     * on the emulator's path (all of dist-packages would shadow the venv's Flask).
     */
    public static SushyFixture startLibvirt(String libvirtUri, String pool, List<String> domainUuids)
            throws IOException, InterruptedException {
        Path venv = venv();
        Path dir = Files.createTempDirectory("sushy-libvirt");
        Path py = Files.createDirectories(dir.resolve("python"));
        try (var files = Files.list(Path.of("/usr/lib/python3/dist-packages"))) {
            for (Path f : files.filter(f -> f.getFileName().toString().equals("libvirt.py")
                    || f.getFileName().toString().startsWith("libvirtmod.")).toList()) {
                Files.createSymbolicLink(py.resolve(f.getFileName()), f);
            }
        }
        StringBuilder allowed = new StringBuilder();
        domainUuids.forEach(u -> allowed.append("'").append(u).append("', "));
        List<String> systems = List.of(
                "SUSHY_EMULATOR_LIBVIRT_URI = '" + libvirtUri + "'",
                "SUSHY_EMULATOR_STORAGE_POOL = '" + pool + "'",
                // this BMC manages these machines and nothing else libvirt may have
                "SUSHY_EMULATOR_ALLOWED_INSTANCES = [" + allowed + "]");
        return launch(venv, dir, Options.plain(), systems, Map.of("PYTHONPATH", py.toString()));
    }

    private static SushyFixture launch(Path venv, Path dir, Options options, List<String> systems,
            Map<String, String> extraEnv) throws IOException, InterruptedException {
        byte[] pw = new byte[9];
        new SecureRandom().nextBytes(pw);
        String password = "pw" + HexFormat.of().formatHex(pw);
        int port = freeTcpPort();
        List<String> cfg = new ArrayList<>(List.of(
                // the config file is Python: log what the emulator did (reset types, boot devices) for the tests
                "import logging",
                "logging.getLogger('sushy_tools.emulator.main').setLevel(logging.INFO)",
                "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'",
                "SUSHY_EMULATOR_LISTEN_PORT = " + port,
                "SUSHY_EMULATOR_AUTH_FILE = '" + dir.resolve("htpasswd") + "'"));
        cfg.addAll(systems);
        if (options.https()) {
            selfSignedCertificate(dir);
            cfg.add("SUSHY_EMULATOR_SSL_CERT = '" + dir.resolve("cert.pem") + "'");
            cfg.add("SUSHY_EMULATOR_SSL_KEY = '" + dir.resolve("key.pem") + "'");
        }
        Files.writeString(dir.resolve("emulator.conf"), String.join("\n", cfg) + "\n");
        // the auth file takes bcrypt hashes only: made by the venv's bcrypt, the password passed in the environment
        run(venv, dir, Map.of("PW", password), venv.resolve("bin/python").toString(), "-c",
                "import bcrypt, os; open('htpasswd', 'w').write('" + USER + ":' + bcrypt.hashpw("
                        + "os.environ['PW'].encode(), bcrypt.gensalt(rounds=4)).decode() + '\\n')");
        List<String> cmd;
        if (options.extras()) {
            Path launcher = dir.resolve("plinth_bmc.py");
            try (InputStream in = SushyFixture.class.getResourceAsStream("plinth_bmc.py")) {
                Files.copy(in, launcher);
            }
            cmd = List.of(venv.resolve("bin/python").toString(), launcher.toString());
        } else {
            cmd = List.of(venv.resolve("bin/sushy-emulator").toString(), "--config",
                    dir.resolve("emulator.conf").toString());
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("emulator.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.put("SUSHY_EMULATOR_CONFIG", dir.resolve("emulator.conf").toString());
        env.put("PLINTH_BMC_USER", USER);
        env.put("PLINTH_BMC_PASSWORD", password);
        env.put("PLINTH_BMC_SESSIONS", options.sessions() ? "1" : "0");
        env.put("PLINTH_BMC_ETAG", options.etag() ? "1" : "0");
        env.put("PLINTH_BMC_TASKS", options.tasks() ? "1" : "0");
        env.put("PLINTH_BMC_SESSION_TIMEOUT", Integer.toString(options.sessionTimeoutSeconds()));
        env.putAll(extraEnv);
        SushyFixture f = new SushyFixture(dir, venv, port, password, options, pb.start());
        try {
            f.awaitListening(Duration.ofSeconds(30));
        } catch (IOException | RuntimeException | InterruptedException e) {
            f.close();
            throw e;
        }
        return f;
    }

    private static void selfSignedCertificate(Path dir) throws IOException, InterruptedException {
        run(null, dir, Map.of(), "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem",
                "-out", "cert.pem", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1");
    }

    private static String run(Path venv, Path dir, Map<String, String> env, String... cmd)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(cmd[0] + " failed: " + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private void awaitListening(Duration max) throws IOException, InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IOException("sushy-emulator exited with " + process.exitValue() + ": " + log());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IOException("sushy-emulator on port " + port + " did not listen within " + max + ": " + log());
    }

    public static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Runs a Python snippet with the {@code sushy} client library connected to this BMC as {@code conn} (certificate
     * checked against this fixture's own certificate) and returns what it prints.
     */
    public String sushy(String snippet) throws IOException, InterruptedException {
        // Basic auth, so the sessions plinth_bmc.py counts are the driver's alone
        return sushy(snippet, "auth.BasicAuth");
    }

    /**
     * As {@link #sushy(String)}, with sushy's own choice of authentication: a session where the BMC has them, else
     * Basic (what a Python user of sushy gets by default).
     */
    public String sushyDefaultAuth(String snippet) throws IOException, InterruptedException {
        return sushy(snippet, "auth.SessionOrBasicAuth");
    }

    private String sushy(String snippet, String authClass) throws IOException, InterruptedException {
        String prelude = String.join("\n",
                "import os, sushy",
                "from sushy import auth",
                "conn = sushy.Sushy(os.environ['BASE'], auth=" + authClass + "(username=os.environ['U'],"
                        + " password=os.environ['PW']), verify=os.environ.get('CA') or True)",
                "");
        Map<String, String> env = new java.util.HashMap<>(Map.of("BASE", baseUrl() + "/redfish/v1", "U", USER,
                "PW", password));
        if (options.https()) {
            env.put("CA", certificate().toString());
        }
        return run(venv, dir, env, venv.resolve("bin/python").toString(), "-c", prelude + snippet).trim();
    }

    /** PowerState of a system as the sushy client reads it ("on", "off", ...). */
    public String sushyPower(String systemId) throws IOException, InterruptedException {
        return sushy("print(conn.get_system('/redfish/v1/Systems/" + systemId + "').power_state.value.lower())");
    }

    /** "target enabled mode" of a system's boot override as the sushy client reads it. */
    public String sushyBoot(String systemId) throws IOException, InterruptedException {
        return sushy("b = conn.get_system('/redfish/v1/Systems/" + systemId + "').boot\n"
                + "print(*[getattr(v, 'value', v) for v in (b.target, b.enabled, b.mode)])");
    }

    /** What plinth_bmc.py counted (only with extras): sessionsCreated, tokenRequests, ifMatchOk, ... */
    public Map<String, Integer> stats() throws IOException, InterruptedException {
        String out = sushy("import json\nprint(json.dumps(conn._conn.get('/plinth-test/stats').json()))");
        Map<String, Integer> m = new java.util.TreeMap<>();
        for (String kv : out.replaceAll("[{}\" ]", "").split(",")) {
            String[] p = kv.split(":");
            m.put(p[0], Integer.parseInt(p[1]));
        }
        return m;
    }

    /** Ends every session at once, as a BMC that expired them or restarted (only with extras). */
    public void expireSessions() throws IOException, InterruptedException {
        sushy("conn._conn.post('/plinth-test/expire-sessions', data={})");
    }

    public String baseUrl() {
        return (options.https() ? "https" : "http") + "://127.0.0.1:" + port;
    }

    /** {@code redfish+http(s)://127.0.0.1:PORT/redfish/v1/Systems/ID}. */
    public String address(String systemId) {
        return "redfish+" + baseUrl() + "/redfish/v1/Systems/" + systemId;
    }

    /** The BMC's self-signed certificate (PEM), only with https. */
    public Path certificate() {
        return dir.resolve("cert.pem");
    }

    public int port() { return port; }

    public String user() { return USER; }

    public String password() { return password; }

    public String log() {
        try {
            return Files.readString(dir.resolve("emulator.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Stops the emulator by its own process handle and removes the temp dir. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    @Override
    public String toString() {
        return "SushyFixture[" + baseUrl() + "]";
    }
}
