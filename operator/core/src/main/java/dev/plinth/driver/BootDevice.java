package dev.plinth.driver;

/** The next boot device a BMC is told to use. */
public enum BootDevice {
    PXE,
    DISK,
    /** The (virtual) CD: a node booting its deploy ramdisk from virtual media. */
    CD
}
