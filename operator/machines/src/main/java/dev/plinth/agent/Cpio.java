package dev.plinth.agent;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio "newc" archive, uncompressed: the format the kernel unpacks an initrd from
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Several initrds given to one kernel are unpacked
 * into one root, so a small one can add files (the CA, a deploy's parameters) to the generic ramdisk.
 */
final class Cpio {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A directory entry, 0755. */
    Cpio directory(String name) {
        entry(name, 0040755, new byte[0]);
        return this;
    }

    /** A regular file with the given permission bits (e.g. 0644, 0600). */
    Cpio file(String name, int permissions, byte[] data) {
        entry(name, 0100000 | permissions, data);
        return this;
    }

    /** The archive, with its trailer. */
    byte[] finish() {
        entry("TRAILER!!!", 0, new byte[0]);
        return out.toByteArray();
    }

    private void entry(String name, int mode, byte[] data) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
        StringBuilder h = new StringBuilder("070701");
        // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
        long[] fields = {0, mode, 0, 0, (mode & 0040000) != 0 ? 2 : 1, 0, data.length, 0, 0, 0, 0, n.length, 0};
        for (long f : fields) {
            h.append(String.format("%08x", f));
        }
        out.writeBytes(h.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(n);
        pad();
        out.writeBytes(data);
        pad();
    }

    /** Header plus name, and the data, each end on a 4-byte boundary. */
    private void pad() {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }
}
