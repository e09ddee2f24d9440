package dev.plinth.api;

/** A document of the desired-state format: {@code apiVersion: plinth.dev/v1alpha1}. */
public sealed interface Resource permits DiskImage, BareMetalNode, Cloud {
    String API_VERSION = "plinth.dev/v1alpha1";

    String kind();

    ObjectMeta metadata();

    default String name() {
        return metadata().name();
    }
}
