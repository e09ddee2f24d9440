package dev.plinth.driver;

import java.util.Map;
import java.util.Optional;

/**
 * Sends each call to the power driver of the node's BMC address scheme ({@code ipmi}, {@code redfish+https}...), as
 * parsed at load time (lower-case). The loader has already refused schemes the wiring has no driver for; the
 * UNSUPPORTED failure below only guards a wiring whose loader and drivers disagree.
 */
public final class SchemePowerDriver implements PowerDriver {
    private final Map<String, PowerDriver> byScheme;

    /** @param byScheme driver per scheme, e.g. {@code "ipmi" -> IpmiPowerDriver} */
    public SchemePowerDriver(Map<String, PowerDriver> byScheme) {
        this.byScheme = Map.copyOf(byScheme);
    }

    private PowerDriver of(NodeTarget node) throws DriverException {
        String scheme = node.bmc().address().scheme();
        PowerDriver d = byScheme.get(scheme);
        if (d == null) {
            throw new DriverException(FailureKind.UNSUPPORTED, "no power driver for " + scheme
                    + ":// BMCs in this build (supported: " + String.join(", ", byScheme.keySet()) + ")");
        }
        return d;
    }

    @Override
    public PowerState powerState(NodeTarget node) throws DriverException {
        return of(node).powerState(node);
    }

    @Override
    public void powerOn(NodeTarget node) throws DriverException {
        of(node).powerOn(node);
    }

    @Override
    public void powerOff(NodeTarget node) throws DriverException {
        of(node).powerOff(node);
    }

    @Override
    public void shutdown(NodeTarget node) throws DriverException {
        of(node).shutdown(node);
    }

    @Override
    public void reboot(NodeTarget node) throws DriverException {
        of(node).reboot(node);
    }

    @Override
    public void setBootDevice(NodeTarget node, BootDevice device, boolean persistent) throws DriverException {
        of(node).setBootDevice(node, device, persistent);
    }

    @Override
    public Optional<BootDevice> bootDevice(NodeTarget node) throws DriverException {
        return of(node).bootDevice(node);
    }

    @Override
    public void insertMedia(NodeTarget node, String imageUrl) throws DriverException {
        of(node).insertMedia(node, imageUrl);
    }

    @Override
    public void ejectMedia(NodeTarget node) throws DriverException {
        of(node).ejectMedia(node);
    }

    @Override
    public Optional<BmcInventory> inventory(NodeTarget node) throws DriverException {
        return of(node).inventory(node);
    }
}
