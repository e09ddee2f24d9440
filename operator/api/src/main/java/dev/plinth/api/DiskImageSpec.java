package dev.plinth.api;

/**
 * Where an OS image lives and how to verify it.
 *
 * @param checksum always {@code sha256:<64 lowercase hex>}
 */
public record DiskImageSpec(String url, String checksum, ImageFormat format, Compression compression) {
    /** The 64 hex digits of the checksum, without the algorithm prefix. */
    public String sha256() {
        return checksum.substring(checksum.indexOf(':') + 1);
    }
}
