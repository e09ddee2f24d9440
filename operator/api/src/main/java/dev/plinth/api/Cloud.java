package dev.plinth.api;

/** kind: Cloud */
public record Cloud(ObjectMeta metadata, CloudSpec spec) implements Resource {
    public static final String KIND = "Cloud";

    @Override public String kind() { return KIND; }
}
