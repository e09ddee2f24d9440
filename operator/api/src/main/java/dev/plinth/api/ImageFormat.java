package dev.plinth.api;

/** On-disk format of a {@link DiskImage}; {@code yaml} is the spelling in documents. */
public enum ImageFormat {
    RAW("raw"), QCOW2("qcow2");

    private final String yaml;

    ImageFormat(String yaml) { this.yaml = yaml; }

    public String yaml() { return yaml; }
}
