package dev.plinth.reconcile;

import dev.plinth.api.DiskImage;
import dev.plinth.core.ImageAvailability;

/** Tells whether an image can be served to nodes yet (the image cache, in real deployments). */
public interface ImageCatalog {
    /** For drivers that never fetch images themselves (the fake driver): every image is ready. */
    ImageCatalog ALWAYS_READY = image -> ImageAvailability.READY;

    ImageAvailability availability(DiskImage image);
}
