package dev.plinth.agent;

import dev.plinth.files.PrivateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deploy ISOs published for virtual media boot: one per boot of a deploy, each under a random name of 256 bits
 * (the ISO holds the boot's credential, so its URL is as secret as the token: never logged, never guessable), in an
 * owner-only directory. An ISO is served while its boot is the deploy's current one and the deploy is open; it is
 * deleted when the node's next boot is published, the deploy finishes or the node is forgotten, and every ISO goes
 * with the controller (they are rebuilt per boot; a restarted controller boots the node again with a new one).
 */
final class DeployMedia implements AutoCloseable {
    // the facade's name, so log lines keep the logger of the agent service
    private static final Logger LOG = LoggerFactory.getLogger(AgentService.class);
    /** Where the boot loader is when ramdisk/build-iso.sh did not put it beside the kernel: Debian's packages. */
    static final List<Path> DEBIAN_LOADER = List.of(Path.of("/usr/lib/ISOLINUX/isolinux.bin"),
            Path.of("/usr/lib/syslinux/modules/bios/ldlinux.c32"));

    /** One published ISO: for which node, deploy and boot. */
    record Published(String node, String deployId, int boot, Path iso) {}

    /** The EFI boot image's name beside the kernel (ramdisk/build-iso.sh). */
    static final String EFI_IMAGE_FILE = "efiboot.img";

    private final IsoBuilder builder;
    private volatile boolean warnedNoEfi;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Published> byName = new LinkedHashMap<>();
    private Path dir;

    DeployMedia(IsoBuilder builder) {
        this.builder = builder;
    }

    /**
     * Builds the ISO of one boot (the generic kernel and initramfs, isolinux, the EFI image when there is one, and
     * this boot's configs and initrd) and publishes it, retiring the node's earlier ones.
     *
     * @param extraKernelArgs what both boot loaders' configs add to the kernel command line
     * @return the name it is served under ({@code <64 hex>.iso})
     */
    String publish(String node, String deployId, int boot, Path kernel, Path initramfs, String extraKernelArgs,
            byte[] deployInitrd) throws IOException {
        Path[] loader = loader(kernel);
        Path efi = efiImage(kernel);
        Path work;
        String name;
        synchronized (this) {
            retire(p -> p.node().equals(node));
            work = Files.createTempDirectory(directory(), "build-");
            byte[] id = new byte[32];
            random.nextBytes(id);
            name = HexFormat.of().formatHex(id) + ".iso";
        }
        // not the served name on disk: a path may reach a log line (an I/O error), the served name must not
        Path iso = work.resolveSibling(deployId + "-" + boot + ".iso");
        try {
            Path cfg = Files.writeString(work.resolve("isolinux.cfg"), DeployIso.isolinuxConfig(extraKernelArgs));
            Path initrd = Files.write(PrivateFiles.file(work.resolve("deploy.img")), deployInitrd);
            Map<String, Path> files = new HashMap<>(Map.of(IsoBuilder.BOOT_IMAGE, loader[0], DeployIso.LDLINUX,
                    loader[1], DeployIso.CONFIG, cfg, DeployIso.KERNEL, kernel, DeployIso.INITRD, initramfs,
                    DeployIso.DEPLOY_INITRD, initrd));
            if (efi != null) {
                files.put(IsoBuilder.EFI_IMAGE, efi);
                files.put(DeployIso.GRUB_CONFIG,
                        Files.writeString(work.resolve("grub.cfg"), DeployIso.grubConfig(extraKernelArgs)));
            }
            builder.build(files, iso);
            ownerOnly(iso);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(iso);
            throw e;
        } finally {
            deleteTree(work);
        }
        synchronized (this) {
            byName.put(name, new Published(node, deployId, boot, iso));
        }
        LOG.info("node {}: deploy ISO of deploy {} boot {} built ({} bytes)", node, deployId, boot, Files.size(iso));
        return name;
    }

    /** The ISO served under {@code name} while {@code live} holds for it; null (and deleted) otherwise. */
    synchronized Path lookup(String name, Predicate<Published> live) {
        Published p = name == null ? null : byName.get(name);
        if (p == null) {
            return null;
        }
        if (!live.test(p) || !Files.isRegularFile(p.iso())) {
            retire(q -> q == p);
            return null;
        }
        return p.iso();
    }

    /** Deletes the published ISOs {@code which} selects. */
    synchronized void retire(Predicate<Published> which) {
        for (Iterator<Published> it = byName.values().iterator(); it.hasNext(); ) {
            Published p = it.next();
            if (which.test(p)) {
                it.remove();
                try {
                    Files.deleteIfExists(p.iso());
                } catch (IOException e) {
                    LOG.warn("node {}: could not delete the deploy ISO of deploy {}: {}", p.node(), p.deployId(),
                            e.getMessage());
                }
            }
        }
    }

    synchronized int count() {
        return byName.size();
    }

    @Override
    public synchronized void close() {
        retire(p -> true);
        if (dir != null) {
            deleteTree(dir);
            dir = null;
        }
    }

    /** 0600 without a log line (PrivateFiles.tighten says what it changed; here that is expected). */
    private static void ownerOnly(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PrivateFiles.OWNER_FILE);
        } catch (UnsupportedOperationException e) {
            // no POSIX permissions here: the directory is the owner's only, as far as this file system can say
        }
    }

    private Path directory() throws IOException {
        if (dir == null) {
            dir = PrivateFiles.directory(Files.createTempDirectory("plinth-media-"));
        }
        return dir;
    }

    /**
     * The EFI boot image ramdisk/build-iso.sh put beside the kernel; null (and a warning, once) without one: the ISO
     * then boots with BIOS only, as it did before the image existed.
     */
    private Path efiImage(Path kernel) {
        Path efi = kernel.toAbsolutePath().getParent().resolve(EFI_IMAGE_FILE);
        if (Files.isRegularFile(efi)) {
            return efi;
        }
        if (!warnedNoEfi) {
            warnedNoEfi = true;
            LOG.warn("no {} beside the ramdisk kernel {} (ramdisk/build-iso.sh builds it): deploy ISOs boot with"
                    + " BIOS only, not on UEFI machines", EFI_IMAGE_FILE, kernel);
        }
        return null;
    }

    /** isolinux.bin and ldlinux.c32: beside the kernel (ramdisk/build-iso.sh), else from Debian's packages. */
    private static Path[] loader(Path kernel) throws IOException {
        Path here = kernel.toAbsolutePath().getParent();
        Path[] beside = {here.resolve("isolinux.bin"), here.resolve("ldlinux.c32")};
        if (Files.isRegularFile(beside[0]) && Files.isRegularFile(beside[1])) {
            return beside;
        }
        Path[] debian = DEBIAN_LOADER.toArray(Path[]::new);
        if (Files.isRegularFile(debian[0]) && Files.isRegularFile(debian[1])) {
            return debian;
        }
        throw new IOException("cannot build the deploy ISO: no isolinux boot loader (isolinux.bin and ldlinux.c32)"
                + " beside " + kernel + " (ramdisk/build-iso.sh puts them there) nor in " + DEBIAN_LOADER
                + " (Debian packages isolinux and syslinux-common)");
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", root, e.getMessage());
        }
    }
}
