package dev.plinth.runtime;

import java.nio.file.Path;
import java.util.List;

/**
 * What the real-machine drivers need: how nodes reach this controller, and the deploy ramdisk they boot.
 *
 * @param advertisedUrl the controller's HTTP address as the nodes see it, e.g. {@code http://10.0.2.2:8080}
 * @param ramdiskKernel {@code vmlinuz} built by {@code ramdisk/build.sh}
 * @param ramdiskInitrd {@code initramfs.cpio.gz} built by the same script
 * @param kernelArgs extra kernel arguments for the ramdisk, e.g. {@code console=ttyS0}
 * @param imageRoots the directories {@code file://} DiskImages may be read from; empty: none may
 * @param bmcCaFile  PEM certificates trusted for Redfish BMCs over https besides the JDK's CAs; null: only those
 * @param mediaUrl how BMCs reach the plain provisioning listener for deploy ISOs (virtual media); null: advertisedUrl
 */
public record MetalOptions(String advertisedUrl, Path ramdiskKernel, Path ramdiskInitrd, String kernelArgs,
        List<Path> imageRoots, Path bmcCaFile, String mediaUrl) {
    public MetalOptions {
        imageRoots = imageRoots == null ? List.of() : List.copyOf(imageRoots);
    }

    public MetalOptions(String advertisedUrl, Path ramdiskKernel, Path ramdiskInitrd, String kernelArgs,
            List<Path> imageRoots) {
        this(advertisedUrl, ramdiskKernel, ramdiskInitrd, kernelArgs, imageRoots, null, null);
    }

    public MetalOptions(String advertisedUrl, Path ramdiskKernel, Path ramdiskInitrd, String kernelArgs,
            List<Path> imageRoots, Path bmcCaFile) {
        this(advertisedUrl, ramdiskKernel, ramdiskInitrd, kernelArgs, imageRoots, bmcCaFile, null);
    }
}
