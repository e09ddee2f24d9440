package dev.plinth.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import dev.plinth.tls.ControllerCa;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real deploy agent (ramdisk/agent/plinth-agent.sh) under {@code busybox sh}, against a replay server that
 * answers from ramdisk/protocol/happy-path.exchanges and checks every request the agent makes against it.
 *
 * <p>The agent runs on this host through its test seam {@code PLINTH_AGENT_ROOT}: its /proc/cmdline, /sys/block,
 * /dev and /tmp are under a temporary directory, and its "disk" is a sparse file there. (Without the seam it would
 * read the host's real /proc/cmdline, find no plinth.api and fail before touching any disk.)
 */
class AgentContractTest {
    private static final long DISK_BYTES = 2L << 30; // minSizeGigabytes=2 in the fixture's hints
    private static final int CONFIG_SIZE = 1 << 20;

    private final ContractFixture fixture = new ContractFixture();
    private int roots;
    @TempDir Path tmp;

    @Test
    void theAgentSpeaksTheRecordedProtocolAndWritesTheDisk() throws Exception {
        speakTheProtocol(false);
    }

    /**
     * The same over HTTPS as the controller serves it: a certificate from the controller CA, the CA where the CA
     * initrd puts it, and openssl beside busybox (busybox wget verifies through it, as in the ramdisk).
     */
    @Test
    void theAgentSpeaksTheProtocolOverVerifiedHttpsAndHandsTheCaToTheInstalledOs() throws Exception {
        speakTheProtocol(true);
    }

    @Test
    void theAgentRefusesAnHttpsApiItCannotVerify() throws Exception {
        Path busybox = busybox();
        String cmdline = "plinth.api=https://localhost:9 plinth.deploy=d1 plinth.token=" + hex(32, 1)
                + " BOOTIF=01-52-54-00-aa-bb-01";
        Path root = fakeRoot(busybox, cmdline);
        assertThat(runAgent(root)).contains("FAILED: no openssl binary: cannot verify https://localhost:9");
        Files.createSymbolicLink(root.resolve("bin/openssl"), openssl());
        assertThat(runAgent(root)).contains("FAILED: no CA certificate at " + root + "/etc/plinth/ca.pem");
        // nothing was written before it refused
        try (RandomAccessFile disk = new RandomAccessFile(root.resolve("dev/vda").toFile(), "r")) {
            byte[] head = new byte[1 << 20];
            disk.readFully(head);
            assertThat(head).containsOnly(0);
        }
    }

    private void speakTheProtocol(boolean https) throws Exception {
        Path busybox = busybox();
        Transcript t = ContractFixture.transcripts().stream().filter(x -> x.name().equals("happy-path.exchanges"))
                .findFirst().orElseThrow();
        List<Transcript.Exchange> agentSide = t.exchanges().stream().filter(Transcript.Exchange::byAgent).toList();
        assertThat(agentSide).extracting(Transcript.Exchange::title).hasSize(6);

        Replay replay = new Replay(agentSide);
        ControllerCa ca = https ? ControllerCa.loadOrCreate(tmp.resolve("ca"), Clock.systemUTC()) : null;
        HttpServer server = https ? TlsServers.https(ca.issue("localhost", List.of()))
                : HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", replay::handle);
        server.start();
        try {
            Map<String, String> vars = fixture.vars();
            String api = (https ? "https://localhost:" : "http://127.0.0.1:") + server.getAddress().getPort();
            vars.put("api", api);
            vars.put("imageUrl", api + "/images/web.raw.gz");
            vars.put("token.d1", hex(32, 1));
            vars.put("checkin.d1", hex(32, 2));
            replay.vars = s -> Transcript.fill(s, vars);

            Path root = fakeRoot(busybox, "console=ttyS0 quiet plinth.api=" + api + " plinth.deploy=d1 plinth.token="
                    + vars.get("token.d1") + " plinth.node=web-0 plinth.checkin=" + vars.get("checkin.d1")
                    + " BOOTIF=01-52-54-00-aa-bb-01");
            if (https) {
                Files.createSymbolicLink(root.resolve("bin/openssl"), openssl());
                Files.createDirectories(root.resolve("etc/plinth"));
                Files.writeString(root.resolve("etc/plinth/ca.pem"), ca.certificatePem());
            }
            String log = runAgent(root);
            assertThat(log).contains("plinth-agent: done").endsWith("(exit 0)");
            assertThat(replay.problems).as(log).isEmpty();
            assertThat(replay.done()).as("every required exchange happened; agent log:\n" + log).isTrue();
            assertThat(log).contains("target disk: /dev/vda").doesNotContain(vars.get("token.d1"))
                    .doesNotContain(vars.get("checkin.d1"));
            // the inventory, read from the fake /proc and /sys, before the disk was chosen
            Map<String, String> inv = replay.posted.stream().map(Transcript::formOf)
                    .filter(f -> "inventory".equals(f.get("phase"))).findFirst().orElseThrow();
            assertThat(inv).isEqualTo(FAKE_INVENTORY);

            // the image, byte for byte, then the config block in the last MiB
            try (RandomAccessFile disk = new RandomAccessFile(root.resolve("dev/vda").toFile(), "r")) {
                assertThat(disk.length()).isEqualTo(DISK_BYTES);
                byte[] head = new byte[fixture.raw.length];
                disk.readFully(head);
                assertThat(head).isEqualTo(fixture.raw);
                byte[] config = new byte[512];
                disk.seek(DISK_BYTES - CONFIG_SIZE);
                disk.readFully(config);
                // over HTTPS, the CA's base64 for the installed OS: the PEM body, on one line
                String caLine = https ? "ca=" + ca.certificatePem().lines().filter(l -> !l.startsWith("-----"))
                        .reduce("", String::concat) + "\n" : "";
                byte[] block = new byte[4096];
                disk.seek(DISK_BYTES - CONFIG_SIZE);
                disk.readFully(block);
                assertThat(new String(block, StandardCharsets.US_ASCII)).startsWith("PLINTH-CONFIG-V1\napi=" + api
                        + "\nnode=web-0\ndeploy=d1\ncheckin=" + vars.get("checkin.d1") + "\n" + caLine + "END\n\0");
            }
        } finally {
            server.stop(0);
        }
    }

    /**
     * Root device hints that single out no disk, or several, stop the real agent before anything is written, with a
     * message naming the hints and the candidates; the inventory went to the controller first.
     */
    @Test
    void theAgentRefusesHintsThatMatchNoDiskOrSeveralNamingTheCandidatesAndWritesNothing() throws Exception {
        Path busybox = busybox();
        String candidates = "candidates: sda (1073741824 bytes, model=QEMU HARDDISK vendor=QEMU serial=QM00001"
                + " wwn=naa.5000c50012345678 rotational=true), vda (2147483648 bytes, model= vendor=QEMU serial=vda-1"
                + " wwn= rotational=false)";
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"deviceName\": \"/dev/vdz\"}",
                "no disk matches the root device hints (deviceName=/dev/vdz); " + candidates);
        cases.put("{\"vendor\": \"qemu\", \"minSizeGigabytes\": 1}",
                "several disks match the root device hints (minSizeGigabytes=1 vendor=qemu): sda, vda; " + candidates);
        for (Map.Entry<String, String> c : cases.entrySet()) {
            List<String> posted = new java.util.concurrent.CopyOnWriteArrayList<>();
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            String api = "http://127.0.0.1:" + server.getAddress().getPort();
            server.createContext("/", ex -> {
                byte[] answer;
                if (ex.getRequestMethod().equals("GET")) {
                    answer = ("{\"imageUrl\": \"" + api + "/images/web.raw.gz\", \"sha256\": \"" + "ab".repeat(32)
                            + "\", \"compression\": \"gz\", \"rootDeviceHints\": " + c.getKey() + "}")
                            .getBytes(StandardCharsets.UTF_8);
                } else {
                    posted.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                    answer = "ok\n".getBytes(StandardCharsets.UTF_8);
                }
                ex.sendResponseHeaders(200, answer.length);
                ex.getResponseBody().write(answer);
                ex.close();
            });
            server.start();
            try {
                Path root = fakeRoot(busybox, "plinth.api=" + api + " plinth.deploy=d1 plinth.token=" + hex(32, 1));
                // a second NIC without a link, whose speed the kernel does not know (-1)
                nic(root, "eth1", "52:54:00:aa:bb:02", "0", "-1");
                String log = runAgent(root);
                assertThat(log).contains("FAILED: " + c.getValue()).endsWith("(exit 1)");
                assertThat(posted).extracting(b -> Transcript.formOf(b).get("phase"))
                        .containsExactly("booted", "inventory", "failed");
                assertThat(Transcript.formOf(posted.get(2)).get("message")).isEqualTo(c.getValue());
                Map<String, String> inv = new LinkedHashMap<>(FAKE_INVENTORY);
                inv.putAll(Map.of("nic.1.name", "eth1", "nic.1.mac", "52:54:00:aa:bb:02", "nic.1.link", "down",
                        "nic.1.speedMbps", ""));
                assertThat(Transcript.formOf(posted.get(1))).isEqualTo(inv);
                try (RandomAccessFile disk = new RandomAccessFile(root.resolve("dev/vda").toFile(), "r")) {
                    byte[] head = new byte[1 << 20];
                    disk.readFully(head);
                    assertThat(head).containsOnly(0);
                }
            } finally {
                server.stop(0);
            }
        }
    }

    @Test
    void theAgentWipesEveryDiskAsRecorded() throws Exception {
        Path busybox = busybox();
        Transcript t = ContractFixture.transcripts().stream().filter(x -> x.name().equals("clean.exchanges"))
                .findFirst().orElseThrow();
        // the 409s are the servers' side of the contract: the agent never sends them
        List<Transcript.Exchange> agentSide = t.exchanges().stream()
                .filter(x -> x.byAgent() && x.status() != 409).toList();
        assertThat(agentSide).extracting(Transcript.Exchange::title).hasSize(3);
        Replay replay = new Replay(agentSide);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", replay::handle);
        server.start();
        try {
            Map<String, String> vars = fixture.vars();
            String api = "http://127.0.0.1:" + server.getAddress().getPort();
            vars.put("api", api);
            vars.put("token.d1", hex(32, 3));
            vars.put("checkin.d1", hex(32, 4));
            replay.vars = s -> Transcript.fill(s, vars);
            Path root = fakeRoot(busybox, "console=ttyS0 quiet plinth.api=" + api + " plinth.deploy=d1 plinth.token="
                    + vars.get("token.d1") + " plinth.node=web-0 plinth.checkin=" + vars.get("checkin.d1")
                    + " BOOTIF=01-52-54-00-aa-bb-01");
            // the last tenant's data: a partition table, a filesystem, a GPT backup header on both disks; on vda
            // also a partition (sectors 4096 to 3 MiB short of the end) with a filesystem superblock at its start
            // and a RAID label at its end
            long sdaBytes = 1L << 30;
            long partStart = 4096 * 512L;
            long partBytes = DISK_BYTES - partStart - 3 * CONFIG_SIZE;
            Path vda1 = Files.createDirectories(root.resolve("sys/block/vda/vda1"));
            Files.writeString(vda1.resolve("start"), (partStart / 512) + "\n");
            Files.writeString(vda1.resolve("size"), (partBytes / 512) + "\n");
            for (String disk : List.of("sda", "vda")) {
                try (RandomAccessFile f = new RandomAccessFile(root.resolve("dev/" + disk).toFile(), "rw")) {
                    long size = disk.equals("sda") ? sdaBytes : DISK_BYTES;
                    f.setLength(size);
                    for (long at : new long[] {0, 1024, CONFIG_SIZE - 512, CONFIG_SIZE, size - CONFIG_SIZE,
                            size - 512}) {
                        f.seek(at);
                        f.write("TENANT-DATA".getBytes(StandardCharsets.US_ASCII));
                    }
                    if (disk.equals("vda")) {
                        for (long at : new long[] {partStart + 1024, partStart + partBytes - 512}) {
                            f.seek(at);
                            f.write("TENANT-FS".getBytes(StandardCharsets.US_ASCII));
                        }
                    }
                }
            }
            Path agent = ContractFixture.repoRoot().resolve("ramdisk/agent/plinth-agent.sh");
            ProcessBuilder pb = new ProcessBuilder(busybox.toString(), "sh", agent.toString())
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("agent.log").toFile());
            pb.environment().clear();
            pb.environment().put("PATH", root.resolve("bin").toString());
            pb.environment().put("PLINTH_AGENT_ROOT", root.toString());
            Process p = pb.start();
            boolean exited = p.waitFor(120, TimeUnit.SECONDS);
            if (!exited) {
                p.destroyForcibly();
            }
            String log = Files.readString(tmp.resolve("agent.log"));
            assertThat(exited).as(log).isTrue();
            assertThat(replay.problems).as(log).isEmpty();
            assertThat(p.exitValue()).as(log).isZero();
            assertThat(replay.done()).as("every required exchange happened; agent log:\n" + log).isTrue();
            assertThat(log).contains("wiped /dev/sda").contains("wiped /dev/vda").doesNotContain(vars.get("token.d1"));
            for (String disk : List.of("sda", "vda")) {
                try (RandomAccessFile f = new RandomAccessFile(root.resolve("dev/" + disk).toFile(), "r")) {
                    long size = disk.equals("sda") ? sdaBytes : DISK_BYTES;
                    assertThat(f.length()).isEqualTo(size);
                    byte[] mib = new byte[CONFIG_SIZE];
                    f.seek(0);
                    f.readFully(mib);
                    assertThat(mib).as(disk + ": first MiB").containsOnly(0);
                    f.seek(size - CONFIG_SIZE);
                    f.readFully(mib);
                    assertThat(mib).as(disk + ": last MiB").containsOnly(0);
                    // only the ends: wiping whole disks would take hours, and is not what is promised
                    byte[] after = new byte[11];
                    f.seek(CONFIG_SIZE);
                    f.readFully(after);
                    assertThat(new String(after, StandardCharsets.US_ASCII)).isEqualTo("TENANT-DATA");
                }
            }
            // vda's partition: its first and last MiB zeroed too (a new table of the same layout finds no filesystem)
            try (RandomAccessFile f = new RandomAccessFile(root.resolve("dev/vda").toFile(), "r")) {
                byte[] mib = new byte[CONFIG_SIZE];
                f.seek(partStart);
                f.readFully(mib);
                assertThat(mib).as("vda1: first MiB").containsOnly(0);
                f.seek(partStart + partBytes - CONFIG_SIZE);
                f.readFully(mib);
                assertThat(mib).as("vda1: last MiB").containsOnly(0);
            }
            assertThat(log).contains("wiped /dev/vda: the first and the last MiB of the disk and of each of its 1"
                    + " partition(s)");
        } finally {
            server.stop(0);
        }
    }

    /**
     * An inspection on demand: the agent reports the fake machine's inventory and {@code inspected}, and leaves both
     * disks exactly as they were (filled with a pattern before, compared byte for byte after).
     */
    @Test
    void theAgentInspectsAsRecordedAndWritesNoDisk() throws Exception {
        Path busybox = busybox();
        Transcript t = ContractFixture.transcripts().stream().filter(x -> x.name().equals("inspect.exchanges"))
                .findFirst().orElseThrow();
        List<Transcript.Exchange> agentSide = t.exchanges().stream()
                .filter(x -> x.byAgent() && x.status() != 409).toList();
        assertThat(agentSide).extracting(Transcript.Exchange::title).hasSize(4);
        Replay replay = new Replay(agentSide);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", replay::handle);
        server.start();
        try {
            Map<String, String> vars = fixture.vars();
            String api = "http://127.0.0.1:" + server.getAddress().getPort();
            vars.put("api", api);
            vars.put("token.d1", hex(32, 5));
            vars.put("checkin.d1", hex(32, 6));
            replay.vars = s -> Transcript.fill(s, vars);
            Path root = fakeRoot(busybox, "console=ttyS0 quiet plinth.api=" + api + " plinth.deploy=d1 plinth.token="
                    + vars.get("token.d1") + " plinth.node=web-0 plinth.checkin=" + vars.get("checkin.d1")
                    + " BOOTIF=01-52-54-00-aa-bb-01");
            Map<String, byte[]> before = new LinkedHashMap<>();
            Random random = new Random(9);
            for (String disk : List.of("sda", "vda")) {
                try (RandomAccessFile f = new RandomAccessFile(root.resolve("dev/" + disk).toFile(), "rw")) {
                    long size = disk.equals("sda") ? 1L << 30 : DISK_BYTES;
                    f.setLength(size);
                    // the places any write of the agent would touch: both ends, and the config block
                    for (long at : new long[] {0, size - 2L * CONFIG_SIZE}) {
                        byte[] pattern = new byte[2 * CONFIG_SIZE];
                        random.nextBytes(pattern);
                        f.seek(at);
                        f.write(pattern);
                        before.put(disk + "@" + at, pattern);
                    }
                }
            }
            Path agent = ContractFixture.repoRoot().resolve("ramdisk/agent/plinth-agent.sh");
            ProcessBuilder pb = new ProcessBuilder(busybox.toString(), "sh", agent.toString())
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("agent.log").toFile());
            pb.environment().clear();
            pb.environment().put("PATH", root.resolve("bin").toString());
            pb.environment().put("PLINTH_AGENT_ROOT", root.toString());
            Process p = pb.start();
            boolean exited = p.waitFor(120, TimeUnit.SECONDS);
            if (!exited) {
                p.destroyForcibly();
            }
            String log = Files.readString(tmp.resolve("agent.log"));
            System.out.println(log);
            assertThat(exited).as(log).isTrue();
            assertThat(replay.problems).as(log).isEmpty();
            assertThat(p.exitValue()).as(log).isZero();
            assertThat(replay.done()).as("every required exchange happened; agent log:\n" + log).isTrue();
            assertThat(log).contains("inspected in").contains("nothing written")
                    .doesNotContain(vars.get("token.d1"));
            for (Map.Entry<String, byte[]> e : before.entrySet()) {
                String disk = e.getKey().substring(0, 3);
                long at = Long.parseLong(e.getKey().substring(4));
                try (RandomAccessFile f = new RandomAccessFile(root.resolve("dev/" + disk).toFile(), "r")) {
                    byte[] now = new byte[e.getValue().length];
                    f.seek(at);
                    f.readFully(now);
                    assertThat(now).as(e.getKey() + ": untouched").isEqualTo(e.getValue());
                }
            }
        } finally {
            server.stop(0);
        }
    }

    @Test
    void theReplayServerRefusesARequestTheTranscriptDoesNotHave() throws Exception {
        // the checker must be able to fail: another phase, a missing field, an extra field, a wrong token
        Transcript.Exchange x = ContractFixture.transcripts().stream()
                .filter(t -> t.name().equals("happy-path.exchanges")).findFirst().orElseThrow().exchanges().stream()
                .filter(e -> e.title().startsWith("written")).findFirst().orElseThrow();
        UnaryOperator<String> vars = s -> Transcript.fill(s, Map.of("token.d1", "t", "bytes", "3", "sha256", "ab"));
        Map<String, String> auth = Map.of("authorization", "Bearer t", "content-type",
                "application/x-www-form-urlencoded");
        String ok = "phase=written&bytes=3&sha256=ab&disk=%2Fdev%2Fvda&writeCentiseconds=7&uptime=1";
        assertThat(x.checkRequest("POST", "/v1/agent/deploys/d1/events", auth, ok, vars)).isEmpty();
        assertThat(x.checkRequest("POST", "/v1/agent/deploys/d1/events", auth, ok.replace("written", "failed"), vars))
                .hasSize(1);
        assertThat(x.checkRequest("POST", "/v1/agent/deploys/d1/events", auth, ok.replace("&uptime=1", ""), vars))
                .containsExactly("form field uptime missing");
        assertThat(x.checkRequest("POST", "/v1/agent/deploys/d1/events", auth, ok + "&extra=1", vars)).hasSize(1);
        assertThat(x.checkRequest("POST", "/v1/agent/deploys/d1/events", Map.of("authorization", "Bearer u",
                "content-type", "application/x-www-form-urlencoded"), ok, vars))
                .containsExactly("header Authorization is not the recorded one");
    }

    /** Answers the agent from the transcript in order; an optional exchange may repeat or be left out. */
    private final class Replay {
        final List<Transcript.Exchange> expected;
        final List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** The form bodies the agent posted, in order. */
        final List<String> posted = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile UnaryOperator<String> vars;
        private int next;

        Replay(List<Transcript.Exchange> expected) {
            this.expected = expected;
        }

        synchronized boolean done() {
            return expected.subList(next, expected.size()).stream().allMatch(Transcript.Exchange::agentOptional);
        }

        void handle(HttpExchange ex) throws IOException {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = ex.getRequestURI().getRawPath();
            if (ex.getRequestMethod().equals("GET") && path.equals("/images/web.raw.gz")) {
                // the controller serves an image only to the deploy token of an open deploy of it
                boolean authorized = ("Bearer " + vars.apply("{{token.d1}}"))
                        .equals(ex.getRequestHeaders().getFirst("Authorization"));
                if (authorized) {
                    send(ex, 200, "application/octet-stream", fixture.gz);
                } else {
                    send(ex, 404, "text/plain", "no such image\n".getBytes(StandardCharsets.UTF_8));
                }
                return;
            }
            Map<String, String> headers = new LinkedHashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
            if (ex.getRequestMethod().equals("POST")) {
                posted.add(body);
            }
            Transcript.Exchange match = match(ex.getRequestMethod(), path, headers, body);
            if (match == null) {
                send(ex, 400, "text/plain", "not in the transcript\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(ex, match.status(), match.contentType(), match.answer(vars).getBytes(StandardCharsets.UTF_8));
        }

        private synchronized Transcript.Exchange match(String method, String path, Map<String, String> headers,
                String body) {
            while (next < expected.size()) {
                Transcript.Exchange x = expected.get(next);
                List<String> wrong = x.checkRequest(method, path, headers, body, vars);
                if (wrong.isEmpty()) {
                    if (!x.agentOptional()) {
                        next++;
                    }
                    return x;
                }
                if (!x.agentOptional()) {
                    problems.add("'" + x.title() + "': " + wrong);
                    return null;
                }
                next++; // the optional exchange is over: try the next one
            }
            problems.add("unexpected request after the transcript ended: " + method + " " + path);
            return null;
        }

        private void send(HttpExchange ex, int status, String type, byte[] bytes) throws IOException {
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        }
    }

    /** Runs the agent in {@code root} to its end; its output. */
    private String runAgent(Path root) throws Exception {
        Path agent = ContractFixture.repoRoot().resolve("ramdisk/agent/plinth-agent.sh");
        ProcessBuilder pb = new ProcessBuilder(busybox().toString(), "sh", agent.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("agent.log").toFile());
        pb.environment().clear();
        pb.environment().put("PATH", root.resolve("bin").toString());
        pb.environment().put("PLINTH_AGENT_ROOT", root.toString());
        Process p = pb.start();
        boolean exited = p.waitFor(120, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
        }
        String log = Files.readString(tmp.resolve("agent.log"));
        assertThat(exited).as(log).isTrue();
        return log + "\n(exit " + p.exitValue() + ")";
    }

    private static Path openssl() {
        Path p = Path.of("/usr/bin/openssl");
        Assumptions.assumeTrue(Files.isExecutable(p), "openssl is not installed (apt-get install openssl): busybox wget"
                + " cannot verify HTTPS without it");
        return p;
    }

    /** What the agent sees as /: busybox applets, its library, the kernel command line, sysfs and a disk. */
    private Path fakeRoot(Path busybox, String cmdline) throws Exception {
        Path root = Files.createDirectories(tmp.resolve("root" + (roots++ == 0 ? "" : String.valueOf(roots))));
        Path bin = Files.createDirectories(root.resolve("bin"));
        Process list = new ProcessBuilder(busybox.toString(), "--list").start();
        for (String applet : new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            if (!applet.isBlank()) {
                Files.createSymbolicLink(bin.resolve(applet.strip()), busybox);
            }
        }
        list.waitFor();
        Files.createDirectories(root.resolve("lib"));
        Files.copy(ContractFixture.repoRoot().resolve("ramdisk/agent/lib.sh"), root.resolve("lib/plinth-lib.sh"));
        Files.createDirectories(root.resolve("proc/sys/vm"));
        Files.writeString(root.resolve("proc/cmdline"), cmdline + "\n");
        Files.writeString(root.resolve("proc/sys/vm/drop_caches"), "");
        Files.createDirectories(root.resolve("tmp"));
        Files.createDirectories(root.resolve("dev"));
        // sda is too small and not /dev/vda: the hints must pass it over
        sysBlock(root, "sda", 1L << 30);
        sysBlock(root, "vda", DISK_BYTES);
        try (RandomAccessFile disk = new RandomAccessFile(root.resolve("dev/vda").toFile(), "rw")) {
            disk.setLength(DISK_BYTES); // sparse
        }
        fakeMachine(root);
        return root;
    }

    /** What the agent reports of {@link #fakeRoot}'s machine. */
    private static final Map<String, String> FAKE_INVENTORY = Map.ofEntries(Map.entry("phase", "inventory"),
            Map.entry("cpus", "2"), Map.entry("cpuModel", "QEMU Virtual CPU version 2.5+"),
            Map.entry("memoryBytes", String.valueOf(2009120L * 1024)), Map.entry("firmware", "bios"),
            Map.entry("disk.0.name", "sda"), Map.entry("disk.0.sizeBytes", String.valueOf(1L << 30)),
            Map.entry("disk.0.model", "QEMU HARDDISK"), Map.entry("disk.0.vendor", "QEMU"),
            Map.entry("disk.0.serial", "QM00001"), Map.entry("disk.0.wwn", "naa.5000c50012345678"),
            Map.entry("disk.0.rotational", "true"), Map.entry("disk.0.removable", "0"),
            Map.entry("disk.0.readOnly", "0"),
            Map.entry("disk.1.name", "vda"), Map.entry("disk.1.sizeBytes", String.valueOf(DISK_BYTES)),
            Map.entry("disk.1.model", ""), Map.entry("disk.1.vendor", "QEMU"), Map.entry("disk.1.serial", "vda-1"),
            Map.entry("disk.1.wwn", ""), Map.entry("disk.1.rotational", "false"),
            Map.entry("disk.1.removable", "0"), Map.entry("disk.1.readOnly", "0"),
            Map.entry("nic.0.name", "eth0"), Map.entry("nic.0.mac", "52:54:00:aa:bb:01"),
            Map.entry("nic.0.link", "up"), Map.entry("nic.0.speedMbps", "1000"));

    /** /proc/cpuinfo, /proc/meminfo and /sys/class/net of a small machine; not UEFI (no /sys/firmware/efi). */
    private static void fakeMachine(Path root) throws IOException {
        String cpu = "processor\t: %d\nvendor_id\t: GenuineIntel\nmodel name\t: QEMU Virtual CPU version 2.5+\n"
                + "flags\t\t: fpu\n\n";
        Files.writeString(root.resolve("proc/cpuinfo"), String.format(cpu, 0) + String.format(cpu, 1));
        Files.writeString(root.resolve("proc/meminfo"), "MemTotal:        2009120 kB\nMemFree:         1900000 kB\n");
        nic(root, "lo", "00:00:00:00:00:00", "1", null);
        nic(root, "sit0", "00:00:00:00", "0", null);
        Files.delete(root.resolve("sys/class/net/sit0/device")); // a tunnel: not hardware
        nic(root, "eth0", "52:54:00:aa:bb:01", "1", "1000");
        Path sda = root.resolve("sys/block/sda");
        Files.writeString(sda.resolve("device/model"), "QEMU HARDDISK   \n");
        Files.writeString(sda.resolve("device/serial"), "QM00001\n");
        Files.writeString(sda.resolve("device/wwid"), "naa.5000c50012345678\n");
        Files.writeString(sda.resolve("queue/rotational"), "1\n");
        Files.writeString(root.resolve("sys/block/vda/serial"), "vda-1\n");
    }

    private static void nic(Path root, String name, String mac, String carrier, String speed) throws IOException {
        Path n = Files.createDirectories(root.resolve("sys/class/net/" + name));
        if (!name.equals("lo")) {
            Files.createDirectories(n.resolve("device")); // a virtual interface (lo) has none
        }
        Files.writeString(n.resolve("address"), mac + "\n");
        Files.writeString(n.resolve("carrier"), carrier + "\n");
        if (speed != null) {
            Files.writeString(n.resolve("speed"), speed + "\n");
        }
    }

    private static void sysBlock(Path root, String name, long bytes) throws IOException {
        Path d = Files.createDirectories(root.resolve("sys/block/" + name));
        Files.writeString(d.resolve("size"), (bytes / 512) + "\n");
        Files.writeString(d.resolve("removable"), "0\n");
        Files.writeString(d.resolve("ro"), "0\n");
        Files.createDirectories(d.resolve("device"));
        Files.writeString(d.resolve("device/vendor"), "QEMU    \n");
        Files.createDirectories(d.resolve("queue"));
        Files.writeString(d.resolve("queue/rotational"), "0\n");
    }

    private static Path busybox() {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        List<Path> found = new ArrayList<>();
        Arrays.stream(path.split(":")).filter(d -> !d.isEmpty()).map(d -> Path.of(d, "busybox"))
                .filter(Files::isExecutable).findFirst().ifPresent(found::add);
        Assumptions.assumeFalse(found.isEmpty(), "busybox is not installed (apt-get install busybox-static): "
                + "the agent cannot run");
        return found.get(0).toAbsolutePath();
    }

    private static String hex(int bytes, long seed) {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
