package dev.plinth.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.plinth.api.DeployNetwork;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-boot deploy ISO as the controller builds it (DeployMedia through the real xorriso) boots on BIOS and UEFI:
 * two El Torito entries, and GRUB's config (UEFI) boots the same kernel with the same initrds and arguments as
 * isolinux's (BIOS). The boot loaders here are stand-ins (xorriso does not look inside them);
 * {@link UefiDeployIsoBootTest} boots the real ones.
 */
class HybridDeployIsoTest {
    private static final String EXTRA = "console=ttyS0 plinth.onfail=poweroff";

    @TempDir
    Path dir;

    @BeforeAll
    static void xorriso() {
        boolean present = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d.isEmpty() ? "." : d, "xorriso")));
        // scripts/install-packages.sh installs it: CI must run this
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new IllegalStateException("xorriso missing (CI=true: run scripts/install-packages.sh)");
        }
        assumeTrue(present, "xorriso not installed (Debian package xorriso; scripts/install-packages.sh)");
    }

    @Test
    void theIsoHasABiosAndAnEfiEntryBootingTheSameKernelInitrdsAndArguments() throws Exception {
        Path ramdisk = Files.createDirectories(dir.resolve("ramdisk"));
        Path kernel = Files.write(ramdisk.resolve("vmlinuz"), new byte[4096]);
        Path initramfs = Files.write(ramdisk.resolve("initramfs.cpio.gz"), new byte[4096]);
        Files.write(ramdisk.resolve("isolinux.bin"), new byte[2048]);
        Files.write(ramdisk.resolve("ldlinux.c32"), new byte[2048]);
        Files.write(ramdisk.resolve(DeployMedia.EFI_IMAGE_FILE), new byte[64 * 1024]);
        byte[] initrd = DeployIso.deployInitrd(new DeployIso.Boot(List.of("plinth.api=http://192.0.2.1:8080"),
                "d-1", "deploy-token", "vm-1", "checkin-token", "52:54:00:00:00:01",
                new DeployNetwork("192.0.2.10/24", "192.0.2.1"), null));

        Path iso;
        try (DeployMedia media = new DeployMedia(new XorrisoIsoBuilder())) {
            long t0 = System.nanoTime();
            String name = media.publish("vm-1", "d-1", 1, kernel, initramfs, EXTRA, initrd);
            System.out.printf("hybrid per-boot ISO built in %.0f ms%n", (System.nanoTime() - t0) / 1e6);
            Path published = media.lookup(name, p -> true);
            iso = Files.copy(published, dir.resolve("boot.iso"));
        }

        String report = xorriso("-indev", iso.toString(), "-report_el_torito", "plain");
        assertThat(report.lines().filter(l -> l.startsWith("El Torito boot img")))
                .anySatisfy(l -> assertThat(l).contains(" BIOS ").contains(" none "))
                .anySatisfy(l -> assertThat(l).contains(" UEFI ").contains(" none "));
        assertThat(report).containsPattern("El Torito img path : +\\d+ +/" + IsoBuilder.BOOT_IMAGE)
                .containsPattern("El Torito img path : +\\d+ +/" + IsoBuilder.EFI_IMAGE);

        Path out = Files.createDirectories(dir.resolve("out"));
        xorriso("-osirrox", "on", "-indev", iso.toString(),
                "-extract", "/" + DeployIso.CONFIG, out.resolve("isolinux.cfg").toString(),
                "-extract", "/" + DeployIso.GRUB_CONFIG, out.resolve("grub.cfg").toString(),
                "-extract", "/" + DeployIso.DEPLOY_INITRD, out.resolve("deploy.img").toString());
        Entry bios = isolinux(Files.readString(out.resolve("isolinux.cfg")));
        Entry uefi = grub(Files.readString(out.resolve("grub.cfg")));
        System.out.println("BIOS: " + bios + "\nUEFI: " + uefi);
        assertThat(uefi).isEqualTo(bios);
        assertThat(bios.kernel()).isEqualTo("/" + DeployIso.KERNEL);
        assertThat(bios.initrds()).containsExactly("/" + DeployIso.INITRD, "/" + DeployIso.DEPLOY_INITRD);
        assertThat(bios.args()).containsSequence("console=ttyS0", "plinth.onfail=poweroff");
        assertThat(Files.readAllBytes(out.resolve("deploy.img"))).isEqualTo(initrd);
    }

    @Test
    void withoutAnEfiImageBesideTheKernelTheIsoBootsWithBiosOnly() throws Exception {
        Path kernel = Files.write(dir.resolve("vmlinuz"), new byte[4096]);
        Path initramfs = Files.write(dir.resolve("initramfs.cpio.gz"), new byte[4096]);
        Files.write(dir.resolve("isolinux.bin"), new byte[2048]);
        Files.write(dir.resolve("ldlinux.c32"), new byte[2048]);
        try (DeployMedia media = new DeployMedia(new XorrisoIsoBuilder())) {
            Path iso = media.lookup(media.publish("vm-1", "d-1", 1, kernel, initramfs, EXTRA, new byte[512]),
                    p -> true);
            String report = xorriso("-indev", iso.toString(), "-report_el_torito", "plain");
            assertThat(report).contains(" BIOS ").doesNotContain(" UEFI ");
        }
    }

    /** One boot entry: what both boot loaders are told to load and pass. */
    record Entry(String kernel, List<String> initrds, List<String> args) {}

    /** {@code KERNEL k} and {@code APPEND initrd=a,b args...}. */
    private static Entry isolinux(String cfg) {
        String kernel = null;
        List<String> initrds = new ArrayList<>();
        List<String> args = new ArrayList<>();
        for (String line : cfg.lines().map(String::strip).toList()) {
            if (line.startsWith("KERNEL ")) {
                kernel = line.substring(7).strip();
            } else if (line.startsWith("APPEND ")) {
                for (String w : line.substring(7).strip().split("\\s+")) {
                    if (w.startsWith("initrd=")) {
                        initrds.addAll(List.of(w.substring(7).split(",")));
                    } else {
                        args.add(w);
                    }
                }
            }
        }
        return new Entry(kernel, initrds, args);
    }

    /** {@code linux k args...} and {@code initrd a b}. */
    private static Entry grub(String cfg) {
        String kernel = null;
        List<String> initrds = new ArrayList<>();
        List<String> args = new ArrayList<>();
        for (String line : cfg.lines().map(String::strip).toList()) {
            String[] w = line.split("\\s+");
            if (w[0].equals("linux")) {
                kernel = w[1];
                args.addAll(List.of(w).subList(2, w.length));
            } else if (w[0].equals("initrd")) {
                initrds.addAll(List.of(w).subList(1, w.length));
            }
        }
        return new Entry(kernel, initrds, args);
    }

    private static String xorriso(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("xorriso"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
