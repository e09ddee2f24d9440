package dev.plinth.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds a bootable ISO 9660 image: BIOS through isolinux (El Torito, no emulation) and, when an EFI image is among
 * the files, UEFI too (a second El Torito entry, platform EFI, pointing at that FAT image). The port the deploy ISOs
 * are made through, so the tool that does it ({@link XorrisoIsoBuilder}) stays replaceable and a test can see what
 * went in.
 */
public interface IsoBuilder {
    /** Where isolinux's boot image must be on the ISO (its config is {@code isolinux/isolinux.cfg} beside it). */
    String BOOT_IMAGE = "isolinux/isolinux.bin";
    /** Where the EFI boot image (a FAT file system with {@code EFI/BOOT/BOOTX64.EFI}) is, when the ISO has one. */
    String EFI_IMAGE = "efi/efiboot.img";

    /**
     * Writes the ISO to {@code out}.
     *
     * @param files each path on the ISO (e.g. {@code plinth/vmlinuz}) and the host file that goes there; one of
     *     them is {@link #BOOT_IMAGE}; with {@link #EFI_IMAGE} among them the ISO boots on UEFI too
     * @throws IOException with a message saying what is missing or what the tool said; never a file's content
     */
    void build(Map<String, Path> files, Path out) throws IOException;
}
