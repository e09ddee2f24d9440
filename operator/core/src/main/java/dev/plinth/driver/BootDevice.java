package dev.plinth.driver;

/** The next boot device a BMC is told to use. */
public enum BootDevice { PXE, DISK }
