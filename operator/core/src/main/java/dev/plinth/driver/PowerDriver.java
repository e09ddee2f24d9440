package dev.plinth.driver;

/**
 * Talks to a BMC. Every method is idempotent (asking for ON when on is fine), bounded in time, and throws
 * {@link DriverException} rather than hanging. Implementations serialise calls to one BMC themselves.
 */
public interface PowerDriver {
    PowerState powerState(NodeTarget node) throws DriverException;

    void powerOn(NodeTarget node) throws DriverException;

    void powerOff(NodeTarget node) throws DriverException;

    /**
     * Asks the running OS to shut down (ACPI) and returns at once: the machine may take a while, or ignore it.
     * Nothing to do when it is off. UNSUPPORTED where the BMC cannot ask.
     */
    default void shutdown(NodeTarget node) throws DriverException {
        throw new DriverException(FailureKind.UNSUPPORTED, "the BMC of node " + node.name() + " ("
                + node.bmc().address().scheme() + "://) cannot ask the OS to shut down");
    }

    /** Power-cycles a running machine, or powers on a stopped one, so that it boots afresh. */
    void reboot(NodeTarget node) throws DriverException;

    void setBootDevice(NodeTarget node, BootDevice device, boolean persistent) throws DriverException;

    /** The boot device the BMC will use next, where the protocol can tell; empty when it cannot. */
    default java.util.Optional<BootDevice> bootDevice(NodeTarget node) throws DriverException {
        return java.util.Optional.empty();
    }

    /**
     * Attaches the ISO at {@code imageUrl} (which the BMC fetches itself) as the machine's virtual CD, replacing
     * what is in it. The URL may be a credential: never put it in a log or a message.
     */
    default void insertMedia(NodeTarget node, String imageUrl) throws DriverException {
        throw new DriverException(FailureKind.UNSUPPORTED, "the BMC of node " + node.name() + " ("
                + node.bmc().address().scheme() + "://) has no virtual media");
    }

    /**
     * The machine as the BMC describes it (model, serial, CPUs, memory, NICs, disks), read without disturbing it;
     * empty for a driver whose protocol has none. Parts the BMC does not serve are left out, not failed.
     */
    default java.util.Optional<BmcInventory> inventory(NodeTarget node) throws DriverException {
        return java.util.Optional.empty();
    }

    /** Empties the machine's virtual CD drive; nothing to do when it is empty. */
    default void ejectMedia(NodeTarget node) throws DriverException {
        throw new DriverException(FailureKind.UNSUPPORTED, "the BMC of node " + node.name() + " ("
                + node.bmc().address().scheme() + "://) has no virtual media");
    }
}
