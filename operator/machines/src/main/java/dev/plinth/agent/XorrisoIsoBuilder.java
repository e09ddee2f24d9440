package dev.plinth.agent;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@link IsoBuilder} through {@code xorriso -as mkisofs} (Debian package xorriso): files are grafted from where they
 * are, nothing is copied. A missing xorriso is a clear error when an ISO is first needed, not at start: only nodes
 * that boot from virtual media need it.
 */
public final class XorrisoIsoBuilder implements IsoBuilder {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private final String executable;

    public XorrisoIsoBuilder() {
        this("xorriso");
    }

    /** @param executable the xorriso to run: a path, or a name looked up on {@code PATH} */
    public XorrisoIsoBuilder(String executable) {
        this.executable = executable;
    }

    @Override
    public void build(Map<String, Path> files, Path out) throws IOException {
        String xorriso = resolve();
        if (!files.containsKey(BOOT_IMAGE)) {
            throw new IOException("no " + BOOT_IMAGE + " among the ISO's files: it would not boot");
        }
        List<String> cmd = new ArrayList<>(List.of(xorriso, "-as", "mkisofs", "-quiet", "-o", out.toString(),
                "-R", "-J", "-V", "PLINTH_DEPLOY", "-b", BOOT_IMAGE, "-c", "isolinux/boot.cat", "-no-emul-boot",
                "-boot-load-size", "4", "-boot-info-table"));
        if (files.containsKey(EFI_IMAGE)) {
            // the second El Torito entry: UEFI firmware loads EFI/BOOT/BOOTX64.EFI from this FAT image
            cmd.addAll(List.of("-eltorito-alt-boot", "-e", EFI_IMAGE, "-no-emul-boot"));
        }
        cmd.add("-graft-points");
        for (var e : files.entrySet()) {
            if (!Files.isRegularFile(e.getValue())) {
                throw new IOException("cannot build the deploy ISO: " + e.getValue() + " (for " + e.getKey()
                        + ") is missing");
            }
            // '=' and '\' are special in a graft point; our names and private paths have neither
            cmd.add(e.getKey() + "=" + e.getValue());
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] output;
        try {
            output = p.getInputStream().readAllBytes();
            if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("xorriso did not finish within " + TIMEOUT);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while xorriso built the deploy ISO", e);
        }
        if (p.exitValue() != 0 || !Files.isRegularFile(out)) {
            String said = new String(output, StandardCharsets.UTF_8).strip();
            throw new IOException("xorriso failed (exit " + p.exitValue() + "): "
                    + (said.length() > 500 ? said.substring(0, 500) + "..." : said));
        }
    }

    /** The executable, or an error saying how to install it. */
    private String resolve() throws IOException {
        if (executable.contains("/")) {
            if (Files.isExecutable(Path.of(executable))) {
                return executable;
            }
        } else {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                Path candidate = Path.of(dir.isEmpty() ? "." : dir, executable);
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        throw new IOException("cannot build the deploy ISO for virtual media boot: " + executable
                + " is not installed (Debian package xorriso; scripts/install-packages.sh installs it)");
    }
}
