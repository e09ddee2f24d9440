package dev.plinth.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real IPMI v2.0 BMC for tests: OpenIPMI's {@code ipmi_sim} on a free loopback UDP port, with user {@code admin}
 * and a random password. Power state and boot device live in files, kept by a small chassis-control script that
 * ipmi_sim calls as {@code PROGRAM get power|boot} and {@code PROGRAM set power 0|1 | reset 1 | shutdown 1 |
 * boot none|pxe|default|...}. Call {@link #skipUnlessInstalled()} first; stop with {@link #close()}.
 */
public final class IpmiSimFixture implements AutoCloseable {
    public static final String USER = "admin";

    private final Path dir;
    private final int port;
    private final String password;
    private Process process;

    private IpmiSimFixture(Path dir, int port, String password, Process process) {
        this.dir = dir;
        this.port = port;
        this.password = password;
        this.process = process;
    }

    /** Skips the calling test (JUnit assumption) when ipmi_sim or ipmitool is not installed. */
    public static void skipUnlessInstalled() {
        assumeTrue(onPath("ipmi_sim"), "ipmi_sim not installed: apt-get install openipmi");
        assumeTrue(onPath("ipmitool"), "ipmitool not installed: apt-get install ipmitool");
    }

    public static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String d : path.split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    /** Writes the config into a temp dir, starts ipmi_sim and waits until it answers (at most 10 s). */
    public static IpmiSimFixture start() throws IOException, InterruptedException {
        return start(true);
    }

    /**
     * As {@link #start()}; without the chassis-control program ipmi_sim answers power status itself (always off)
     * and cannot set boot flags: only useful to measure the protocol without a fork per status query.
     */
    public static IpmiSimFixture start(boolean chassisProgram) throws IOException, InterruptedException {
        skipUnlessInstalled();
        Path dir = Files.createTempDirectory("ipmisim");
        byte[] pw = new byte[8];
        new SecureRandom().nextBytes(pw);
        String password = "pw" + HexFormat.of().formatHex(pw); // 18 characters: within IPMI v2.0's 20
        int port = freeUdpPort();
        Path script = dir.resolve("chassis.sh");
        Files.writeString(script, CHASSIS_SCRIPT);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(dir.resolve("power"), "0\n");
        Files.writeString(dir.resolve("boot"), "default\n");
        Files.writeString(dir.resolve("lan.conf"), String.join("\n",
                "name \"plinthsim\"",
                "set_working_mc 0x20",
                "  startlan 1",
                "    addr 127.0.0.1 " + port,
                "    priv_limit admin",
                "    allowed_auths_callback none md2 md5 straight",
                "    allowed_auths_user none md2 md5 straight",
                "    allowed_auths_operator none md2 md5 straight",
                "    allowed_auths_admin none md2 md5 straight",
                "    guid a123456789abcdefa123456789abcdef",
                "  endlan",
                chassisProgram ? "  chassis_control \"" + script + "\"" : "",
                "  user 2 true \"" + USER + "\" \"" + password + "\" admin 10 none md2 md5 straight",
                ""));
        Files.writeString(dir.resolve("bmc.emu"), String.join("\n",
                "mc_setbmc 0x20",
                "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr",
                "mc_enable 0x20",
                ""));
        Files.createDirectories(dir.resolve("state"));
        IpmiSimFixture f = new IpmiSimFixture(dir, port, password, launch(dir));
        try {
            f.awaitReady(Duration.ofSeconds(10));
        } catch (IOException | RuntimeException | InterruptedException e) {
            f.close();
            throw e;
        }
        return f;
    }

    private static Process launch(Path dir) throws IOException {
        return new ProcessBuilder("ipmi_sim", "-c", dir.resolve("lan.conf").toString(),
                "-f", dir.resolve("bmc.emu").toString(), "-s", dir.resolve("state").toString(), "-n")
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("ipmi_sim.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
    }

    /** Stops ipmi_sim and starts a new one on the same port and files: every open session is lost. */
    public void restart() throws IOException, InterruptedException {
        stopProcess();
        process = launch(dir);
        awaitReady(Duration.ofSeconds(10));
    }

    private void stopProcess() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** The chassis-control calls ipmi_sim made so far, one per line ("get power", "set boot pxe", ...). */
    public List<String> calls() throws IOException {
        Path log = dir.resolve("calls.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    private void awaitReady(Duration max) throws IOException, InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        String last = "";
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IOException("ipmi_sim exited with " + process.exitValue() + ": " + log());
            }
            IpmitoolResult r = ipmitool("chassis", "power", "status");
            if (r.exitCode() == 0) {
                return;
            }
            last = r.output();
            Thread.sleep(100);
        }
        throw new IOException("ipmi_sim on port " + port + " did not answer within " + max + ": " + last);
    }

    /** A free loopback UDP port (free at the time of asking). */
    public static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public record IpmitoolResult(int exitCode, String output) {}

    /**
     * Runs {@code ipmitool -I lanplus -C 3 -H 127.0.0.1 -p PORT -U admin -E ARGS} (the password goes through the
     * environment, not the command line).
     */
    public IpmitoolResult ipmitool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ipmitool", "-I", "lanplus", "-C", "3", "-H", "127.0.0.1",
                "-p", Integer.toString(port), "-U", USER, "-E", "-N", "1", "-R", "2"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("IPMI_PASSWORD", password);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("ipmitool did not finish: " + cmd);
        }
        return new IpmitoolResult(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** ipmitool's "chassis power status": "on" or "off". */
    public String ipmitoolPower() throws IOException, InterruptedException {
        IpmitoolResult r = ipmitool("chassis", "power", "status");
        if (r.exitCode() != 0) {
            throw new IOException("ipmitool chassis power status: " + r.output());
        }
        return r.output().contains("Chassis Power is on") ? "on" : r.output().contains("is off") ? "off" : r.output();
    }

    /** The "Boot Device Selector" line of ipmitool's "chassis bootparam get 5". */
    public String ipmitoolBootDevice() throws IOException, InterruptedException {
        IpmitoolResult r = ipmitool("chassis", "bootparam", "get", "5");
        for (String line : r.output().split("\n")) {
            if (line.contains("Boot Device Selector")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        throw new IOException("ipmitool chassis bootparam get 5: " + r.output());
    }

    /** The power state file as the chassis script keeps it ("0" or "1"). */
    public String powerFile() throws IOException {
        return Files.readString(dir.resolve("power")).trim();
    }

    public String bootFile() throws IOException {
        return Files.readString(dir.resolve("boot")).trim();
    }

    public int port() { return port; }

    public String host() { return "127.0.0.1"; }

    public String user() { return USER; }

    public String password() { return password; }

    public String address() { return "ipmi://127.0.0.1:" + port; }

    public Path dir() { return dir; }

    public String log() {
        try {
            return Files.readString(dir.resolve("ipmi_sim.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Stops ipmi_sim by its own process handle and removes the temp dir. */
    @Override
    public void close() throws InterruptedException {
        stopProcess();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    @Override
    public String toString() {
        return "IpmiSimFixture[127.0.0.1:" + port + "]";
    }

    private static final String CHASSIS_SCRIPT = """
            #!/bin/sh
            # Chassis control for ipmi_sim: "get power boot ..." prints name:value lines; "set NAME VALUE ..." stores.
            D=$(dirname "$0")
            op=$1; shift
            echo "$op $*" >> "$D/calls.log"
            if [ "$op" = get ]; then
              for what in "$@"; do
                case $what in
                  power) echo "power:$(cat "$D/power")" ;;
                  boot) echo "boot:$(cat "$D/boot")" ;;
                esac
              done
            elif [ "$op" = set ]; then
              while [ $# -ge 2 ]; do
                case $1 in
                  power) echo "$2" > "$D/power" ;;
                  shutdown) echo 0 > "$D/power" ;;
                  reset) ;;
                  boot) echo "$2" > "$D/boot" ;;
                esac
                shift 2
              done
            fi
            """;
}
