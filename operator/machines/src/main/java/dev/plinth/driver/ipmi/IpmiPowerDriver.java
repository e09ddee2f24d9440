package dev.plinth.driver.ipmi;

import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.PowerDriver;
import dev.plinth.driver.PowerState;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * {@link PowerDriver} over IPMI v2.0 (lanplus, cipher suite 3) for BMC addresses {@code ipmi://host[:port]}.
 * One {@link IpmiClient} (and so one reused session) per BMC endpoint; a client is replaced when the node's
 * credentials change.
 */
public final class IpmiPowerDriver implements PowerDriver, AutoCloseable {
    private final IpmiClientConfig config;
    private final boolean efiByDefault;
    private final ConcurrentMap<String, IpmiClient> clients = new ConcurrentHashMap<>();

    public IpmiPowerDriver() {
        this(IpmiClientConfig.defaults(), false);
    }

    /** @param efiByDefault whether boot flags ask for EFI boot when the address has no {@code bootMode} */
    public IpmiPowerDriver(IpmiClientConfig config, boolean efiByDefault) {
        this.config = config;
        this.efiByDefault = efiByDefault;
    }

    @Override
    public PowerState powerState(NodeTarget node) throws DriverException {
        return client(node).powerOn() ? PowerState.ON : PowerState.OFF;
    }

    @Override
    public void powerOn(NodeTarget node) throws DriverException {
        client(node).chassisControl(ChassisControl.POWER_UP);
    }

    @Override
    public void powerOff(NodeTarget node) throws DriverException {
        client(node).chassisControl(ChassisControl.POWER_DOWN);
    }

    /** Soft off (chassis control 5: the BMC emulates the ACPI power button, so the OS shuts down) when on. */
    @Override
    public void shutdown(NodeTarget node) throws DriverException {
        IpmiClient c = client(node);
        if (c.powerOn()) {
            c.chassisControl(ChassisControl.SOFT_OFF);
        }
    }

    /** Power cycle when on, power up when off (many BMCs refuse a power cycle of a chassis that is off). */
    @Override
    public void reboot(NodeTarget node) throws DriverException {
        IpmiClient c = client(node);
        c.chassisControl(c.powerOn() ? ChassisControl.POWER_CYCLE : ChassisControl.POWER_UP);
    }

    @Override
    public void setBootDevice(NodeTarget node, BootDevice device, boolean persistent) throws DriverException {
        IpmiEndpoint ep = endpoint(node);
        BootFlags.Selector selector = switch (device) {
            case PXE -> BootFlags.Selector.PXE;
            case DISK -> BootFlags.Selector.DISK;
            // not used by the lifecycle (virtual media is Redfish only); the IPMI selector for a CD
            case CD -> BootFlags.Selector.CDROM;
        };
        boolean efi = ep.efi() != null ? ep.efi() : efiByDefault;
        client(node).setBootFlags(BootFlags.of(selector, persistent, efi));
    }

    /** The boot flags the BMC reports (not part of {@link PowerDriver}; for status and tests). */
    /** PXE or DISK when the BMC has a valid override for one of them; empty for anything else (no drift to heal). */
    @Override
    public java.util.Optional<BootDevice> bootDevice(NodeTarget node) throws DriverException {
        BootFlags flags = client(node).bootFlags();
        if (!flags.valid()) {
            return java.util.Optional.empty();
        }
        return switch (flags.device()) {
            case PXE -> java.util.Optional.of(BootDevice.PXE);
            case DISK -> java.util.Optional.of(BootDevice.DISK);
            default -> java.util.Optional.empty();
        };
    }

    public BootFlags bootFlags(NodeTarget node) throws DriverException {
        return client(node).bootFlags();
    }

    /** The client for this node's BMC, created on first use; for metrics and tests. */
    public IpmiClient client(NodeTarget node) throws DriverException {
        IpmiEndpoint ep = endpoint(node);
        BmcCredentials cred = node.credentials();
        if (cred == null || cred.username() == null || cred.password() == null) {
            throw new DriverException(FailureKind.MISSING_CREDENTIALS, "node " + node.name()
                    + ": no BMC credentials for " + ep.authority());
        }
        IpmiClient[] stale = new IpmiClient[1];
        IpmiClient c = clients.compute(ep.authority(), (k, existing) -> {
            if (existing != null && existing.sameCredentials(cred.username(), cred.password())) {
                return existing;
            }
            stale[0] = existing;
            return new IpmiClient(ep.host(), ep.port(), cred.username(), cred.password(), config);
        });
        if (stale[0] != null) {
            stale[0].close();
        }
        return c;
    }

    private static IpmiEndpoint endpoint(NodeTarget node) throws DriverException {
        if (node.bmc() == null) {
            throw new DriverException(FailureKind.PROTOCOL, "node " + node.name() + " has no BMC");
        }
        try {
            return IpmiEndpoint.of(node.bmc().address());
        } catch (IllegalArgumentException e) {
            // retrying cannot fix an address; the loader refuses these, so only old stored state gets here
            throw new DriverException(FailureKind.UNSUPPORTED, "node " + node.name() + ": " + e.getMessage());
        }
    }

    /** Closes every session. */
    @Override
    public void close() {
        for (String k : clients.keySet()) {
            IpmiClient c = clients.remove(k);
            if (c != null) {
                c.close();
            }
        }
    }

    @Override
    public String toString() {
        return "IpmiPowerDriver[" + clients.size() + " BMC(s)]";
    }
}
