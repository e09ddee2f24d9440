package dev.plinth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The virtual lab of e2e/lab, seen from a test JVM running inside its network namespace. */
final class Lab {
    static final Path DIR = Path.of(System.getenv().getOrDefault("PLINTH_LAB_DIR", "/var/tmp/plinth-lab"));
    static final Path SCRIPTS = Path.of(System.getProperty("user.dir")).resolve("lab");

    private Lab() {}

    /** Why the lab cannot run here, or null when this JVM runs inside it. */
    static String unavailable() {
        if (System.getenv("PLINTH_IN_LAB") != null) {
            return null;
        }
        String reason = System.getenv("PLINTH_LAB_SKIP");
        return "virtual lab not available: " + (reason != null ? reason : "not started through e2e/lab/jvm/bin/java");
    }

    record Image(String name, String sha256, long size) {
        String url(String compression) {
            return DIR.resolve("images").resolve(name + ".raw" + (compression.equals("none") ? "" : "." + compression))
                    .toUri().toString();
        }
    }

    /** A test image built by build-test-image.sh (built now if missing). */
    static Image image(String name) throws Exception {
        Path sums = DIR.resolve("images").resolve(name + ".sha256");
        if (!Files.exists(sums)) {
            run(List.of(SCRIPTS.resolve("build-test-image.sh").toString(), name), 300);
        }
        java.util.Properties p = new java.util.Properties();
        try (var in = Files.newBufferedReader(sums)) {
            p.load(in);
        }
        return new Image(name, p.getProperty("sha256"), Long.parseLong(p.getProperty("size")));
    }

    static String mac(int vm) {
        return "52:54:00:6c:ab:0" + vm;
    }

    static int bmcPort(int vm) {
        return 9001 + vm;
    }

    static String bmcPassword(int vm) throws IOException {
        return Files.readString(DIR.resolve("vms/vm" + vm + "/bmc-password")).trim();
    }

    static String serialLog(int vm) throws IOException {
        Path log = DIR.resolve("vms/vm" + vm + "/serial.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** sha256 of the first {@code bytes} bytes of a VM's disk, read while the VM may be running. */
    static String diskSha256(int vm, long bytes) throws Exception {
        return diskSha256(DIR.resolve("vms/vm" + vm + "/disk.qcow2"), bytes);
    }

    /** sha256 of the first {@code bytes} bytes of a qcow2 disk, read while its machine may be running. */
    static String diskSha256(Path qcow2, long bytes) throws Exception {
        Path raw = Files.createTempFile("plinth-disk-", ".raw");
        try {
            run(List.of("qemu-img", "convert", "-U", "-O", "raw", qcow2.toString(), raw.toString()), 120);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(raw)) {
                byte[] buf = new byte[1 << 20];
                long left = bytes;
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        break;
                    }
                    sha.update(buf, 0, n);
                    left -= n;
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } finally {
            Files.deleteIfExists(raw);
        }
    }

    /**
     * The deploy ramdisk's inventory against how lab.sh and bmc-control.sh start the VM: one CPU ({@code -smp 1}),
     * VM_MEM MiB of which the kernel keeps a little (MemTotal is less), SeaBIOS (no UEFI), one virtio disk vda of
     * the qcow2's virtual size with serial VM_NAME-disk, one virtio NIC with VM_MAC and a link.
     */
    static void assertInventoryIsWhatQemuWasStartedWith(int vm, JsonNode inv) throws Exception {
        java.util.Properties env = Lab.vmEnv(vm);
        assertThat(env.getProperty("VM_MAC")).isEqualTo(Lab.mac(vm));
        assertInventory("vm" + vm, inv, Long.parseLong(env.getProperty("VM_MEM")) << 20, Lab.diskVirtualSize(vm),
                env.getProperty("VM_NAME") + "-disk", env.getProperty("VM_MAC"));
    }

    /**
     * The deploy ramdisk's inventory against a machine QEMU runs with one CPU, {@code memoryBytes} of which the kernel
     * keeps a little (MemTotal is less), SeaBIOS (no UEFI), one virtio disk vda of {@code diskBytes} with serial
     * {@code diskSerial}, and one virtio NIC with {@code mac} and a link.
     */
    static void assertInventory(String machine, JsonNode inv, long memoryBytes, long diskBytes, String diskSerial,
            String mac) {
        assertThat(inv.isObject()).as("inventory of %s", machine).isTrue();
        assertThat(inv.path("cpus").asInt()).isEqualTo(1);
        assertThat(inv.path("memoryBytes").asLong()).as("MemTotal of %s", machine)
                .isBetween(memoryBytes * 3 / 4, memoryBytes);
        assertThat(inv.path("firmware").asText()).isEqualTo("bios");
        JsonNode disks = inv.path("disks");
        assertThat(disks.size()).as("disks of %s: %s", machine, disks).isEqualTo(1);
        assertThat(disks.path(0).path("name").asText()).isEqualTo("vda");
        assertThat(disks.path(0).path("sizeBytes").asLong()).isEqualTo(diskBytes);
        assertThat(disks.path(0).path("serial").asText()).isEqualTo(diskSerial);
        assertThat(disks.path(0).path("rotational").isBoolean()).isTrue();
        JsonNode nics = inv.path("nics");
        assertThat(nics.size()).as("NICs of %s: %s", machine, nics).isEqualTo(1);
        assertThat(nics.path(0).path("mac").asText()).isEqualTo(mac);
        assertThat(nics.path(0).path("link").asText()).isEqualTo("up");
    }

    /** sha256 of {@code bytes} zero bytes: a wiped stretch of disk. */
    static String sha256OfZeros(int bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(new byte[bytes]));
    }

    /** A VM's settings as lab.sh wrote them (vms/vmN/vm.env: VM_NAME, VM_MAC, VM_DISK, VM_MEM in MiB...). */
    static java.util.Properties vmEnv(int vm) throws IOException {
        java.util.Properties p = new java.util.Properties();
        try (var in = Files.newBufferedReader(DIR.resolve("vms/vm" + vm + "/vm.env"))) {
            p.load(in);
        }
        return p;
    }

    /** The virtual size in bytes of a VM's qcow2 disk, what its guest sees as the disk's size. */
    static long diskVirtualSize(int vm) throws Exception {
        String json = run(List.of("qemu-img", "info", "-U", "--output=json",
                DIR.resolve("vms/vm" + vm + "/disk.qcow2").toString()), 30);
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("virtual-size").asLong();
    }

    /** Chassis power as ipmitool (not our client) sees it: "on" or "off". */
    static String ipmitoolPower(int vm) throws Exception {
        String out = run(List.of("ipmitool", "-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p",
                String.valueOf(bmcPort(vm)), "-U", "admin", "-f", DIR.resolve("vms/vm" + vm + "/bmc-password").toString(),
                "chassis", "power", "status"), 30);
        return out.contains("is on") ? "on" : out.contains("is off") ? "off" : out.trim();
    }

    private static boolean downAtExit;

    /**
     * Before a lab test class: every VM off with an empty disk (lab.sh reset), whatever the class before it in this
     * JVM left; the lab comes down once, when the JVM exits. Every *LabE2E class shares the one lab that
     * e2e/lab/jvm/bin/java brought up, in the namespace this JVM runs in: a class taking it down would leave the
     * next without BMCs, and bringing it up again would make a namespace this JVM is not in.
     */
    static synchronized void fresh() throws Exception {
        run(List.of(SCRIPTS.resolve("lab.sh").toString(), "reset"), 120);
        if (!downAtExit) {
            downAtExit = true;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    down();
                } catch (Exception e) {
                    System.err.println("lab.sh down failed: " + e.getMessage());
                }
            }, "lab-down"));
        }
    }

    static void down() throws Exception {
        run(List.of(SCRIPTS.resolve("lab.sh").toString(), "down"), 120);
    }

    static String run(List<String> cmd, int seconds) throws Exception {
        Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(cmd + " did not finish in " + seconds + "s");
        }
        String text = new String(out);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(cmd + " failed (" + p.exitValue() + "): " + text);
        }
        return text;
    }
}
