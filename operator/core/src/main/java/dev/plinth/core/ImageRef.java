package dev.plinth.core;

import dev.plinth.api.DiskImage;

/**
 * Identifies the bytes a node runs: the image's name and checksum. A changed URL with the same checksum is the
 * same image and does not reprovision.
 */
public record ImageRef(String name, String checksum) {
    public static ImageRef of(DiskImage image) {
        return new ImageRef(image.name(), image.spec().checksum());
    }
}
