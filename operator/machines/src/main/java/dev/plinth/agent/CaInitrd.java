package dev.plinth.agent;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A second initrd with the controller CA in it ({@value #CA_PATH}): iPXE loads it after the ramdisk's own, and the
 * kernel unpacks both into one root, so the ramdisk image stays the same for every controller. The archive is cpio
 * "newc", uncompressed: the format the kernel reads (Documentation/driver-api/early-userspace/buffer-format.rst).
 */
final class CaInitrd {
    /** Where the agent finds the CA it trusts (ramdisk/PROTOCOL.md). */
    static final String CA_PATH = "etc/plinth/ca.pem";

    private CaInitrd() {}

    static byte[] of(String caPem) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        entry(out, "etc", 0040755, new byte[0]);
        entry(out, "etc/plinth", 0040755, new byte[0]);
        entry(out, CA_PATH, 0100644, caPem.getBytes(StandardCharsets.US_ASCII));
        entry(out, "TRAILER!!!", 0, new byte[0]);
        return out.toByteArray();
    }

    private static void entry(ByteArrayOutputStream out, String name, int mode, byte[] data) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
        StringBuilder h = new StringBuilder("070701");
        // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
        long[] fields = {0, mode, 0, 0, (mode & 0040000) != 0 ? 2 : 1, 0, data.length, 0, 0, 0, 0, n.length, 0};
        for (long f : fields) {
            h.append(String.format("%08x", f));
        }
        out.writeBytes(h.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(n);
        pad(out);
        out.writeBytes(data);
        pad(out);
    }

    /** Header plus name, and the data, each end on a 4-byte boundary. */
    private static void pad(ByteArrayOutputStream out) {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }
}
