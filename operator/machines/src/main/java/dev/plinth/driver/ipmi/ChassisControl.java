package dev.plinth.driver.ipmi;

/** Chassis Control command values (IPMI v2.0 section 28.3). */
public enum ChassisControl {
    POWER_DOWN(0x00),
    POWER_UP(0x01),
    POWER_CYCLE(0x02),
    HARD_RESET(0x03),
    SOFT_OFF(0x05);

    private final int code;

    ChassisControl(int code) { this.code = code; }

    public int code() { return code; }
}
