package dev.plinth.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lab machines managed by libvirt (e2e/lab/libvirt.sh), seen from a test JVM in the network namespace libvirtd runs
 * in: QEMU's user network shows the guests that namespace's 127.0.0.1 as 10.0.2.2.
 */
final class LibvirtLab {
    static final Path DIR = Lab.DIR.resolve("libvirt");
    static final String URI = "qemu:///system";
    /** The storage pool libvirt.sh defines, into which sushy-emulator uploads inserted media. */
    static final String POOL = "plinth-lab";

    private LibvirtLab() {}

    /** Why libvirt lab machines cannot run here, or null when they can (libvirt.sh up may still fail). */
    static String unavailable() {
        if (!"0".equals(idU())) {
            return "needs root (libvirtd in system mode)";
        }
        for (String tool : List.of("libvirtd", "virtlogd", "virsh", "qemu-system-x86_64", "qemu-img")) {
            if (!onPath(tool)) {
                return tool + " missing: run e2e/lab/install-packages.sh";
            }
        }
        if (!Files.exists(Path.of("/usr/lib/python3/dist-packages/libvirt.py"))) {
            return "python3-libvirt missing (sushy-emulator's libvirt driver): run e2e/lab/install-packages.sh";
        }
        if (!Files.exists(Lab.DIR.resolve("ramdisk/vmlinuz")) || !Files.exists(Lab.DIR.resolve("ramdisk/initramfs.cpio.gz"))) {
            return "deploy ramdisk not built: run ramdisk/build.sh";
        }
        return null;
    }

    private static String idU() {
        try {
            return Lab.run(List.of("id", "-u"), 10).trim();
        } catch (Exception e) {
            return "?";
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        for (String d : List.of("/usr/sbin", "/sbin")) { // a root PATH without sbin still runs libvirt.sh's daemons
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    static String script(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Lab.SCRIPTS.resolve("libvirt.sh").toString()));
        cmd.addAll(List.of(args));
        return Lab.run(cmd, 180);
    }

    static String virsh(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("virsh", "-q", "-c", URI));
        cmd.addAll(List.of(args));
        return Lab.run(cmd, 60);
    }

    /** A machine's settings as libvirt.sh wrote them: VM_NAME, VM_UUID, VM_MAC, VM_DISK, VM_MEM (MiB). */
    static Properties vmEnv(int vm) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(DIR.resolve("vm" + vm + "/vm.env"))) {
            p.load(in);
        }
        return p;
    }

    static String serialLog(int vm) throws IOException {
        Path log = DIR.resolve("vm" + vm + "/serial.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    static Path disk(int vm) {
        return DIR.resolve("vm" + vm + "/disk.qcow2");
    }

    /** What QEMU runs with now, as libvirt describes the live domain. */
    record Domain(String xml) {
        long memoryBytes() {
            Matcher m = Pattern.compile("<memory unit='KiB'>(\\d+)</memory>").matcher(xml);
            if (!m.find()) {
                throw new IllegalStateException("no memory in " + xml);
            }
            return Long.parseLong(m.group(1)) << 10;
        }

        String mac() {
            return one("<mac address='([0-9a-f:]+)'/>");
        }

        String diskSerial() {
            return one("<serial>([^<]+)</serial>");
        }

        boolean hasCdrom() {
            return xml.contains("device='cdrom'");
        }

        private String one(String regex) {
            Matcher m = Pattern.compile(regex).matcher(xml);
            if (!m.find()) {
                throw new IllegalStateException(regex + " not in " + xml);
            }
            String v = m.group(1);
            if (m.find()) {
                throw new IllegalStateException("more than one " + regex + " in " + xml);
            }
            return v;
        }
    }

    static Domain domain(int vm) throws Exception {
        return new Domain(virsh("dumpxml", vmEnv(vm).getProperty("VM_NAME")));
    }

    static String state(int vm) throws Exception {
        return virsh("domstate", vmEnv(vm).getProperty("VM_NAME")).trim();
    }

    /** The virtual size in bytes of a machine's qcow2 disk: what its guest sees as the disk's size. */
    static long diskVirtualSize(int vm) throws Exception {
        String json = Lab.run(List.of("qemu-img", "info", "-U", "--output=json", disk(vm).toString()), 30);
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("virtual-size").asLong();
    }
}
