package dev.plinth.api;

/** Transport compression of a {@link DiskImage}; {@code yaml} is the spelling in documents. */
public enum Compression {
    NONE("none"), GZ("gz"), XZ("xz"), ZST("zst");

    private final String yaml;

    Compression(String yaml) { this.yaml = yaml; }

    public String yaml() { return yaml; }
}
