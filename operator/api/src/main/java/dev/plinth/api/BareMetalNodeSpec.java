package dev.plinth.api;

/**
 * Desired state of one physical machine.
 *
 * @param image optional; when absent a Cloud role that selects the node may supply one
 * @param rootDeviceHints never null; {@link RootDeviceHints#NONE} when the document has none
 */
public record BareMetalNodeSpec(
        BmcSpec bmc,
        String bootMACAddress,
        boolean online,
        ResourceRef image,
        RootDeviceHints rootDeviceHints) {}
