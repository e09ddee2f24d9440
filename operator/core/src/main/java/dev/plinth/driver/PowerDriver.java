package dev.plinth.driver;

/**
 * Talks to a BMC. Every method is idempotent (asking for ON when on is fine), bounded in time, and throws
 * {@link DriverException} rather than hanging. Implementations serialise calls to one BMC themselves.
 */
public interface PowerDriver {
    PowerState powerState(NodeTarget node) throws DriverException;

    void powerOn(NodeTarget node) throws DriverException;

    void powerOff(NodeTarget node) throws DriverException;

    /** Power-cycles a running machine, or powers on a stopped one, so that it boots afresh. */
    void reboot(NodeTarget node) throws DriverException;

    void setBootDevice(NodeTarget node, BootDevice device, boolean persistent) throws DriverException;

    /** The boot device the BMC will use next, where the protocol can tell; empty when it cannot. */
    default java.util.Optional<BootDevice> bootDevice(NodeTarget node) throws DriverException {
        return java.util.Optional.empty();
    }
}
