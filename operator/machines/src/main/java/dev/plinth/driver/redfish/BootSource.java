package dev.plinth.driver.redfish;

/** Boot source override targets the driver sets, by their Redfish names. */
public enum BootSource {
    PXE("Pxe"), DISK("Hdd"), CD("Cd");

    private final String redfish;

    BootSource(String redfish) {
        this.redfish = redfish;
    }

    /** The {@code BootSourceOverrideTarget} value. */
    public String redfish() {
        return redfish;
    }
}
