package dev.plinth.api;

/** Which disk the image goes to; every hint that is set must match (as in Metal3 and Ironic). All optional. */
public record RootDeviceHints(
        String deviceName,
        String model,
        String vendor,
        String serialNumber,
        String wwn,
        Integer minSizeGigabytes,
        Boolean rotational) {

    public static final RootDeviceHints NONE = new RootDeviceHints(null, null, null, null, null, null, null);
}
