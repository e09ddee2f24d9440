package dev.plinth.kubernetes.testing;

import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.PowerDriver;
import dev.plinth.driver.PowerState;
import java.util.Optional;

/**
 * The FAKE driver's power, behind a BMC that checks the password as a real one does (the fake takes any): the
 * operator must hand over what the node's Secret holds, and a wrong one is an AUTHENTICATION failure. Unlike the
 * FAKE driver, it describes the machine, as a Redfish BMC does ({@link #MANUFACTURER}, the node's boot MAC).
 */
public final class CheckingPower implements PowerDriver {
    private final PowerDriver machines;
    private final String password;

    public CheckingPower(PowerDriver machines, String password) {
        this.machines = machines;
        this.password = password;
    }

    private void login(NodeTarget node) throws DriverException {
        if (!password.equals(node.credentials().password())) {
            throw new DriverException(FailureKind.AUTHENTICATION, "BMC " + node.bmc().address().text()
                    + " rejected the credentials of user " + node.credentials().username());
        }
    }

    @Override
    public PowerState powerState(NodeTarget node) throws DriverException {
        login(node);
        return machines.powerState(node);
    }

    @Override
    public void powerOn(NodeTarget node) throws DriverException {
        login(node);
        machines.powerOn(node);
    }

    @Override
    public void powerOff(NodeTarget node) throws DriverException {
        login(node);
        machines.powerOff(node);
    }

    @Override
    public void reboot(NodeTarget node) throws DriverException {
        login(node);
        machines.reboot(node);
    }

    @Override
    public void setBootDevice(NodeTarget node, BootDevice device, boolean persistent) throws DriverException {
        login(node);
        machines.setBootDevice(node, device, persistent);
    }

    @Override
    public Optional<BootDevice> bootDevice(NodeTarget node) throws DriverException {
        login(node);
        return machines.bootDevice(node);
    }

    @Override
    public void shutdown(NodeTarget node) throws DriverException {
        login(node);
        machines.shutdown(node);
    }

    /** What this BMC says made the machine. */
    public static final String MANUFACTURER = "Plinth test BMC (CheckingPower)";

    @Override
    public Optional<dev.plinth.driver.BmcInventory> inventory(NodeTarget node) throws DriverException {
        login(node);
        return Optional.of(new dev.plinth.driver.BmcInventory(java.time.Instant.now(), MANUFACTURER, "fake", null,
                null, null, 2, null, 1L << 30, null, null,
                java.util.List.of(new dev.plinth.driver.BmcInventory.Nic("nic0", node.bootMACAddress(), 1000)),
                null, java.util.List.of("Storage: not offered")));
    }
}
