package dev.plinth.api;

/** kind: DiskImage */
public record DiskImage(ObjectMeta metadata, DiskImageSpec spec) implements Resource {
    public static final String KIND = "DiskImage";

    @Override public String kind() { return KIND; }
}
