package dev.plinth.driver.ipmi;

/**
 * System boot options parameter 5, "boot flags" (IPMI v2.0 table 28-14): the boot device override, whether it
 * applies to the next boot only or persistently, and legacy or EFI boot.
 */
public record BootFlags(Selector device, boolean valid, boolean persistent, boolean efi) {
    /** Boot device selector, bits 5:2 of data byte 2. */
    public enum Selector {
        NO_OVERRIDE(0x0), PXE(0x1), DISK(0x2), DISK_SAFE_MODE(0x3), DIAGNOSTIC(0x4), CDROM(0x5), BIOS_SETUP(0x6),
        REMOTE_FLOPPY(0x7), REMOTE_CDROM(0x8), REMOTE_MEDIA(0x9), REMOTE_DISK(0xb), FLOPPY(0xf), OTHER(-1);

        private final int code;

        Selector(int code) { this.code = code; }

        public int code() { return code; }

        static Selector of(int code) {
            for (Selector s : values()) {
                if (s.code == code) {
                    return s;
                }
            }
            return OTHER;
        }
    }

    public static final int PARAMETER = 5;

    public static BootFlags of(Selector device, boolean persistent, boolean efi) {
        return new BootFlags(device, true, persistent, efi);
    }

    /** The five parameter data bytes. */
    byte[] encode() {
        if (device == Selector.OTHER) {
            throw new IllegalArgumentException("cannot set boot device OTHER");
        }
        int d1 = (valid ? 0x80 : 0) | (persistent ? 0x40 : 0) | (efi ? 0x20 : 0);
        return new byte[] {(byte) d1, (byte) (device.code << 2), 0, 0, 0};
    }

    /** Decodes the five parameter data bytes. */
    static BootFlags decode(byte[] d, int off) {
        if (d.length - off < 2) {
            throw new IllegalArgumentException("boot flags of " + (d.length - off) + " bytes");
        }
        int d1 = d[off] & 0xff;
        int d2 = d[off + 1] & 0xff;
        return new BootFlags(Selector.of((d2 >> 2) & 0x0f), (d1 & 0x80) != 0, (d1 & 0x40) != 0, (d1 & 0x20) != 0);
    }
}
