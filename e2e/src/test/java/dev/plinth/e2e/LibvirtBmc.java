package dev.plinth.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.testkit.SushyFixture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redfish BMC in front of real QEMU machines: sushy-tools' {@code sushy-emulator} with its libvirt driver (the
 * venv of scripts/sushy-tools.sh, Debian's python3-libvirt), on a free loopback port, user {@code admin} with a random
 * password (Basic auth through its auth file), limited to the given libvirt domains. Inserted media go into
 * libvirt.sh's storage pool.
 */
final class LibvirtBmc implements AutoCloseable {
    static final String USER = "admin";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final int port;
    private final String password;
    private final Process process;
    // HTTP/1.1 only: the emulator (werkzeug) mishandles the JDK's h2c upgrade
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private LibvirtBmc(Path dir, int port, String password, Process process) {
        this.dir = dir;
        this.port = port;
        this.password = password;
        this.process = process;
    }

    static LibvirtBmc start(List<String> systemUuids) throws Exception {
        Path venv = SushyFixture.venv(); // skips (fails under CI=true) without sushy-tools
        Path dir = Files.createTempDirectory("sushy-libvirt");
        // only the libvirt binding on the emulator's path: all of dist-packages would shadow the venv's Flask
        Path py = Files.createDirectories(dir.resolve("python"));
        try (var files = Files.list(Path.of("/usr/lib/python3/dist-packages"))) {
            for (Path f : files.filter(f -> f.getFileName().toString().equals("libvirt.py")
                    || f.getFileName().toString().startsWith("libvirtmod.")).toList()) {
                Files.createSymbolicLink(py.resolve(f.getFileName()), f);
            }
        }
        byte[] pw = new byte[9];
        new SecureRandom().nextBytes(pw);
        String password = "pw" + HexFormat.of().formatHex(pw);
        int port = SushyFixture.freeTcpPort();
        StringBuilder allowed = new StringBuilder();
        systemUuids.forEach(u -> allowed.append("'").append(u).append("', "));
        Files.writeString(dir.resolve("emulator.conf"), String.join("\n",
                "import logging",
                "logging.getLogger('sushy_tools.emulator.main').setLevel(logging.INFO)",
                "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'",
                "SUSHY_EMULATOR_LISTEN_PORT = " + port,
                "SUSHY_EMULATOR_LIBVIRT_URI = '" + LibvirtLab.URI + "'",
                "SUSHY_EMULATOR_STORAGE_POOL = '" + LibvirtLab.POOL + "'",
                // this BMC manages the lab's machines and nothing else libvirt may have
                "SUSHY_EMULATOR_ALLOWED_INSTANCES = [" + allowed + "]",
                "SUSHY_EMULATOR_AUTH_FILE = '" + dir.resolve("htpasswd") + "'",
                ""));
        ProcessBuilder hash = new ProcessBuilder(venv.resolve("bin/python").toString(), "-c",
                "import bcrypt, os; open('htpasswd', 'w').write('" + USER + ":' + bcrypt.hashpw("
                        + "os.environ['PW'].encode(), bcrypt.gensalt(rounds=4)).decode() + '\\n')")
                .directory(dir.toFile()).redirectErrorStream(true);
        hash.environment().put("PW", password);
        Process h = hash.start();
        String out = new String(h.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!h.waitFor(60, TimeUnit.SECONDS) || h.exitValue() != 0) {
            throw new IOException("bcrypt auth file: " + out);
        }
        ProcessBuilder pb = new ProcessBuilder(venv.resolve("bin/sushy-emulator").toString(), "--config",
                dir.resolve("emulator.conf").toString()).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("emulator.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("PYTHONPATH", py.toString());
        LibvirtBmc bmc = new LibvirtBmc(dir, port, password, pb.start());
        try {
            bmc.awaitListening(Duration.ofSeconds(30));
        } catch (Exception e) {
            bmc.close();
            throw e;
        }
        return bmc;
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

    /** {@code redfish+http://127.0.0.1:PORT/redfish/v1/Systems/UUID}. */
    String address(String uuid) {
        return "redfish+http://127.0.0.1:" + port + "/redfish/v1/Systems/" + uuid;
    }

    String password() {
        return password;
    }

    /** A resource as this BMC serves it, read with its credentials (not through the driver under test). */
    JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (USER + ":" + password).getBytes(StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    String log() {
        try {
            return Files.readString(dir.resolve("emulator.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Stops the emulator by its own process handle and removes its directory. */
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
}
