package dev.plinth.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds a BIOS-bootable ISO 9660 image (El Torito, no emulation, isolinux): the port the deploy ISOs are made
 * through, so the tool that does it ({@link XorrisoIsoBuilder}) stays replaceable and a test can see what went in.
 */
public interface IsoBuilder {
    /** Where isolinux's boot image must be on the ISO (its config is {@code isolinux/isolinux.cfg} beside it). */
    String BOOT_IMAGE = "isolinux/isolinux.bin";

    /**
     * Writes the ISO to {@code out}.
     *
     * @param files each path on the ISO (e.g. {@code plinth/vmlinuz}) and the host file that goes there; one of
     *     them is {@link #BOOT_IMAGE}
     * @throws IOException with a message saying what is missing or what the tool said; never a file's content
     */
    void build(Map<String, Path> files, Path out) throws IOException;
}
