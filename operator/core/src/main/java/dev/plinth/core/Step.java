package dev.plinth.core;

/** The steps of each operation, in order. Timings in status are kept per step. */
public enum Step {
    // REGISTERING
    CHECK_BMC(ProvisioningState.REGISTERING),
    // PROVISIONING
    PREPARE_DEPLOY(ProvisioningState.PROVISIONING),
    SET_BOOT_PXE(ProvisioningState.PROVISIONING),
    BOOT_DEPLOY_RAMDISK(ProvisioningState.PROVISIONING),
    WRITE_IMAGE(ProvisioningState.PROVISIONING),
    SET_BOOT_DISK(ProvisioningState.PROVISIONING),
    BOOT_IMAGE(ProvisioningState.PROVISIONING),
    AWAIT_CHECK_IN(ProvisioningState.PROVISIONING),
    FINISH_DEPLOY(ProvisioningState.PROVISIONING),
    // CLEANING
    PREPARE_CLEAN(ProvisioningState.CLEANING),
    CLEAN_BOOT_PXE(ProvisioningState.CLEANING),
    BOOT_CLEAN_RAMDISK(ProvisioningState.CLEANING),
    WIPE_DISKS(ProvisioningState.CLEANING),
    FINISH_CLEAN(ProvisioningState.CLEANING),
    // INSPECTING
    PREPARE_INSPECT(ProvisioningState.INSPECTING),
    INSPECT_BOOT_PXE(ProvisioningState.INSPECTING),
    BOOT_INSPECT_RAMDISK(ProvisioningState.INSPECTING),
    READ_HARDWARE(ProvisioningState.INSPECTING),
    FINISH_INSPECT(ProvisioningState.INSPECTING),
    // DEPROVISIONING
    POWER_OFF(ProvisioningState.DEPROVISIONING),
    CLEAN_UP(ProvisioningState.DEPROVISIONING);

    private final ProvisioningState operation;

    Step(ProvisioningState operation) { this.operation = operation; }

    /** The state this step belongs to. */
    public ProvisioningState operation() { return operation; }

    /** The first step of an operation. */
    public static Step firstOf(ProvisioningState operation) {
        return switch (operation) {
            case REGISTERING -> CHECK_BMC;
            case PROVISIONING -> PREPARE_DEPLOY;
            case CLEANING -> PREPARE_CLEAN;
            case INSPECTING -> PREPARE_INSPECT;
            case DEPROVISIONING -> POWER_OFF;
            default -> throw new IllegalArgumentException(operation + " has no steps");
        };
    }
}
