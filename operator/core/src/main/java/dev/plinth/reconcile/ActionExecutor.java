package dev.plinth.reconcile;

import dev.plinth.core.Action;
import dev.plinth.core.Outcome;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.NodeTarget;

/** Performs a core {@link Action} through the drivers and turns whatever happens into an {@link Outcome}. */
public final class ActionExecutor {
    private final Drivers drivers;

    public ActionExecutor(Drivers drivers) {
        this.drivers = drivers;
    }

    public Outcome execute(Action action, NodeTarget node) {
        try {
            return perform(action, node);
        } catch (DriverException e) {
            return Outcome.failed(e.kind(), e.getMessage());
        } catch (RuntimeException e) {
            // a driver bug must not kill the worker; report it on the node
            return Outcome.failed(dev.plinth.driver.FailureKind.PROTOCOL,
                    "driver error: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private Outcome perform(Action action, NodeTarget node) throws DriverException {
        var power = drivers.power();
        if (action instanceof Action.CheckPower c) {
            return new Outcome.Power(power.powerState(node), power.bootDevice(node).orElse(null),
                    c.provenImage() ? drivers.deploy().provenImage(node).orElse(null) : null);
        }
        if (action instanceof Action.ReadInventory) {
            return new Outcome.Inventoried(power.inventory(node).orElse(null));
        }
        if (action instanceof Action.Verify v) {
            var state = power.powerState(node);
            var device = power.bootDevice(node).orElse(null);
            if (v.deployId() == null) {
                return new Outcome.Evidence(state, device, dev.plinth.driver.DeployProgress.of(
                        dev.plinth.driver.DeployPhase.UNKNOWN), false);
            }
            return new Outcome.Evidence(state, device, drivers.deploy().observe(node, v.deployId()),
                    drivers.deploy().checkedIn(node, v.deployId()));
        }
        if (action instanceof Action.PowerOn) {
            power.powerOn(node);
        } else if (action instanceof Action.PowerOff) {
            power.powerOff(node);
        } else if (action instanceof Action.Shutdown) {
            power.shutdown(node);
        } else if (action instanceof Action.Reboot) {
            power.reboot(node);
        } else if (action instanceof Action.SetBootDevice s) {
            if (s.device() == dev.plinth.driver.BootDevice.PXE && !s.persistent()) {
                // SET_BOOT_PXE, which every boot into the ramdisk (and every re-boot) passes right before it
                drivers.boot().openDeployBootWindow(node);
            }
            power.setBootDevice(node, s.device(), s.persistent());
        } else if (action instanceof Action.BootFromMedia) {
            // as SET_BOOT_PXE: a fresh window (fresh tokens), whose ISO the BMC then fetches and boots once
            drivers.boot().openDeployBootWindow(node);
            String url = drivers.boot().publishDeployMedia(node);
            try {
                power.insertMedia(node, url);
            } catch (DriverException e) {
                // a BMC may quote the URL it failed to fetch; it carries the boot's credential
                throw new DriverException(e.kind(), redact(e.getMessage(), url));
            }
            power.setBootDevice(node, dev.plinth.driver.BootDevice.CD, false);
        } else if (action instanceof Action.PrepareDeploy p) {
            drivers.deploy().start(node, p.request());
            drivers.boot().prepareDeployBoot(node, p.request());
        } else if (action instanceof Action.ObserveDeploy o) {
            return new Outcome.Progress(drivers.deploy().observe(node, o.deployId()));
        } else if (action instanceof Action.SwitchToLocalBoot l) {
            if (l.ejectMedia()) {
                power.ejectMedia(node);
            }
            drivers.boot().prepareLocalBoot(node);
            power.setBootDevice(node, dev.plinth.driver.BootDevice.DISK, true);
        } else if (action instanceof Action.ObserveCheckIn o) {
            return new Outcome.CheckIn(drivers.deploy().checkedIn(node, o.deployId()));
        } else if (action instanceof Action.FinishDeploy f) {
            if (f.ejectMedia()) {
                power.ejectMedia(node);
            }
            drivers.deploy().finish(node, f.deployId());
        } else if (action instanceof Action.CleanUp) {
            drivers.boot().cleanUp(node);
        } else {
            throw new IllegalArgumentException("no driver call for " + action.label());
        }
        return Outcome.DONE;
    }

    /** The message without the URL in it, nor its last path segment (the unguessable part), should a BMC quote it. */
    static String redact(String message, String url) {
        if (message == null || url == null || url.isEmpty()) {
            return message;
        }
        String name = url.substring(url.lastIndexOf('/') + 1);
        String m = message.replace(url, "<the deploy ISO's URL>");
        return name.length() < 16 ? m : m.replace(name, "<the deploy ISO>");
    }
}
