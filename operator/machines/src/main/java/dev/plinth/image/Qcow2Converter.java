package dev.plinth.image;

import dev.plinth.api.DiskImageSpec;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/** Turns a verified qcow2 image into the raw bytes the deploy ramdisk writes, with {@code qemu-img}. */
final class Qcow2Converter {
    private static final HexFormat HEX = HexFormat.of();

    /** The converted file: its sha256 differs from the spec's, which is the qcow2's. */
    record Raw(String sha256, long length) {}

    private Qcow2Converter() {}

    /** Fails before the download rather than after it when the conversion cannot happen. */
    static void requireQemuImg(DiskImageSpec spec) throws ImageException {
        if (!onPath("qemu-img")) {
            throw new ImageException("image " + Urls.redact(spec.url()) + " is qcow2 but qemu-img is not on PATH to"
                    + " convert it to raw (the deploy ramdisk writes raw bytes): install qemu-utils, or publish a raw"
                    + " image");
        }
    }

    /** Converts {@code qcow2} into {@code raw} and hashes the result. */
    static Raw convert(Path qcow2, Path raw, DiskImageSpec spec) throws Exception {
        Process p = new ProcessBuilder("qemu-img", "convert", "-f", "qcow2", "-O", "raw", qcow2.toString(),
                raw.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (!p.waitFor(1, TimeUnit.HOURS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new ImageException("qemu-img could not convert " + Urls.redact(spec.url()) + " to raw: " + out);
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(raw)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) >= 0; ) {
                sha.update(buf, 0, r);
            }
        }
        return new Raw(HEX.formatHex(sha.digest()), Files.size(raw));
    }

    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }
}
