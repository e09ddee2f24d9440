package dev.plinth.agent;

import java.nio.charset.StandardCharsets;

/**
 * A second initrd with the controller CA in it ({@value #CA_PATH}): iPXE loads it after the ramdisk's own, and the
 * kernel unpacks both into one root, so the ramdisk image stays the same for every controller.
 */
final class CaInitrd {
    /** Where the agent finds the CA it trusts (ramdisk/PROTOCOL.md). */
    static final String CA_PATH = "etc/plinth/ca.pem";

    private CaInitrd() {}

    static byte[] of(String caPem) {
        return new Cpio().directory("etc").directory("etc/plinth")
                .file(CA_PATH, 0644, caPem.getBytes(StandardCharsets.US_ASCII)).finish();
    }
}
