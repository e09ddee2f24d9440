package dev.plinth.driver.ipmi;

/** The parts of Get Chassis Status (IPMI v2.0 section 28.2) Plinth uses, plus the raw state bytes. */
public record ChassisStatus(boolean powerOn, boolean powerFault, int currentPowerState, int lastPowerEvent,
                            int miscState) {
    static ChassisStatus decode(byte[] data) {
        if (data.length < 3) {
            throw new IllegalArgumentException("Get Chassis Status response of " + data.length + " bytes");
        }
        int cur = data[0] & 0xff;
        return new ChassisStatus((cur & 0x01) != 0, (cur & 0x08) != 0, cur, data[1] & 0xff, data[2] & 0xff);
    }
}
