package dev.plinth.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.plinth.api.DeployNetwork;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real UEFI boot of a per-boot deploy ISO as the controller builds it: QEMU (TCG) with OVMF boots the ISO's EFI
 * entry (GRUB from ramdisk/build-iso.sh's efiboot.img), GRUB finds the per-boot grub.cfg and boots the ramdisk with
 * the deploy initrd, and the agent starts with the parameters it read from /etc/plinth/boot.conf. No controller
 * answers (the agent then fails, which is not this test's concern). The ramdisk comes from $PLINTH_LAB_DIR/ramdisk
 * (default /var/tmp/plinth-lab), as ramdisk/build.sh and build-iso.sh leave it.
 */
class UefiDeployIsoBootTest {
    private static final Path LAB = Path.of(System.getenv().getOrDefault("PLINTH_LAB_DIR", "/var/tmp/plinth-lab"));
    private static final Path OVMF_CODE = Path.of("/usr/share/OVMF/OVMF_CODE.fd");
    private static final Path OVMF_VARS = Path.of("/usr/share/OVMF/OVMF_VARS.fd");
    /** How long the boot may take before the test gives up: TCG UEFI boots take tens of seconds, loaded hosts more. */
    private static final long LIMIT_SECONDS = 300;

    @TempDir
    Path dir;

    @Test
    void ovmfBootsTheControllersIsoIntoTheAgentWithItsBootConf() throws Exception {
        Path ramdisk = LAB.resolve("ramdisk");
        String why = unavailable(ramdisk);
        // run-tests as root installs QEMU and OVMF (e2e/lab/install-packages.sh) and builds the ramdisk and the
        // ISO's boot loaders (ramdisk/build.sh, build-iso.sh): there CI must boot; without root it has none of it
        if (why != null && "true".equals(System.getenv("CI")) && "root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("cannot boot the UEFI deploy ISO: " + why
                    + " (CI=true as root: this test must not be skipped)");
        }
        assumeTrue(why == null, "UEFI deploy ISO boot not possible here: " + why);

        byte[] initrd = DeployIso.deployInitrd(new DeployIso.Boot(List.of("plinth.api=http://192.0.2.1:9"),
                "d-uefi", "deploy-token-not-on-the-console", "vm-uefi", "checkin-token", "52:54:00:00:0e:f1",
                new DeployNetwork("192.0.2.10/24", "192.0.2.1"), null));
        Path iso;
        try (DeployMedia media = new DeployMedia(new XorrisoIsoBuilder())) {
            long t0 = System.nanoTime();
            String name = media.publish("vm-uefi", "d-uefi", 1, ramdisk.resolve("vmlinuz"),
                    ramdisk.resolve("initramfs.cpio.gz"), "console=ttyS0", initrd);
            System.out.printf("per-boot ISO (real ramdisk, hybrid) built in %.0f ms%n",
                    (System.nanoTime() - t0) / 1e6);
            iso = Files.copy(media.lookup(name, p -> true), dir.resolve("deploy.iso"));
        }

        Path vars = Files.copy(OVMF_VARS, dir.resolve("OVMF_VARS.fd"));
        Path serial = dir.resolve("serial.log");
        Process qemu = new ProcessBuilder("qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "512",
                "-display", "none", "-monitor", "none", "-no-reboot", "-net", "none",
                "-drive", "if=pflash,format=raw,readonly=on,file=" + OVMF_CODE,
                "-drive", "if=pflash,format=raw,file=" + vars,
                "-cdrom", iso.toString(), "-serial", "file:" + serial)
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu.out").toFile()).start();
        long t0 = System.nanoTime();
        String console = "";
        double grubAt = -1;
        try {
            // until the agent has said what it read, QEMU ended, or the limit: whichever comes first
            while (qemu.isAlive() && (System.nanoTime() - t0) / 1e9 < LIMIT_SECONDS
                    && !console.contains("plinth-agent: node=")) {
                Thread.sleep(500);
                console = read(serial);
                if (grubAt < 0 && console.contains("Booting `plinth'")) {
                    grubAt = (System.nanoTime() - t0) / 1e9;
                }
            }
            System.out.printf("UEFI boot: GRUB's entry after %.1f s, agent after %.1f s (TCG)%n", grubAt,
                    (System.nanoTime() - t0) / 1e9);
        } finally {
            qemu.destroyForcibly();
            qemu.waitFor(30, TimeUnit.SECONDS);
        }
        console = read(serial);
        String tail = console.length() > 3000 ? console.substring(console.length() - 3000) : console;
        System.out.println("--- serial console (end) ---\n" + tail + "\n---");
        // GRUB, not isolinux: OVMF took the EFI entry; then the kernel, with both initrds, and the agent
        assertThat(console).as(tail).contains("Booting `plinth'");
        // the agent's first line names what it read from boot.conf (nothing of it is on the command line)
        assertThat(console).as(tail).contains("plinth-agent: node=vm-uefi deploy=d-uefi api=http://192.0.2.1:9");
        assertThat(console).doesNotContain("deploy-token-not-on-the-console");
    }

    /** Why the boot cannot run here; null when it can. */
    private static String unavailable(Path ramdisk) {
        for (String tool : List.of("qemu-system-x86_64", "xorriso")) {
            if (!onPath(tool)) {
                return tool + " missing (e2e/lab/install-packages.sh, scripts/install-packages.sh)";
            }
        }
        if (!Files.isRegularFile(OVMF_CODE) || !Files.isRegularFile(OVMF_VARS)) {
            return "no UEFI firmware " + OVMF_CODE + " (Debian package ovmf; e2e/lab/install-packages.sh)";
        }
        if (!Files.isRegularFile(ramdisk.resolve("vmlinuz")) || !Files.isRegularFile(ramdisk.resolve("initramfs.cpio.gz"))) {
            return "no deploy ramdisk in " + ramdisk + " (ramdisk/build.sh)";
        }
        if (!Files.isRegularFile(ramdisk.resolve(DeployMedia.EFI_IMAGE_FILE))) {
            return "no " + DeployMedia.EFI_IMAGE_FILE + " in " + ramdisk + " (ramdisk/build-iso.sh)";
        }
        return null;
    }

    private static boolean onPath(String tool) {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d.isEmpty() ? "." : d, tool)));
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1) : "";
    }
}
