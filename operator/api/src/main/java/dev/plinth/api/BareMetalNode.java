package dev.plinth.api;

/** kind: BareMetalNode */
public record BareMetalNode(ObjectMeta metadata, BareMetalNodeSpec spec) implements Resource {
    public static final String KIND = "BareMetalNode";

    @Override public String kind() { return KIND; }
}
