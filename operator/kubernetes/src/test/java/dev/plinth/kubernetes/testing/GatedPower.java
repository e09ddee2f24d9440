package dev.plinth.kubernetes.testing;

import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.PowerDriver;
import dev.plinth.driver.PowerState;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The FAKE driver's power with its first {@code setBootDevice} held until the test releases it: a BMC call in
 * flight, to stop an operator in the middle of a pass.
 */
public final class GatedPower implements PowerDriver {
    private final PowerDriver machines;
    private final AtomicBoolean first = new AtomicBoolean(true);
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    public GatedPower(PowerDriver machines) {
        this.machines = machines;
    }

    /** Waits until the held call has begun. */
    public boolean awaitHeld(Duration timeout) throws InterruptedException {
        return entered.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public void release() {
        released.countDown();
    }

    @Override
    public void setBootDevice(NodeTarget node, BootDevice device, boolean persistent) throws DriverException {
        if (first.getAndSet(false)) {
            entered.countDown();
            try {
                if (!released.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the held BMC call was never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while held", e);
            }
        }
        machines.setBootDevice(node, device, persistent);
    }

    @Override
    public PowerState powerState(NodeTarget node) throws DriverException {
        return machines.powerState(node);
    }

    @Override
    public void powerOn(NodeTarget node) throws DriverException {
        machines.powerOn(node);
    }

    @Override
    public void powerOff(NodeTarget node) throws DriverException {
        machines.powerOff(node);
    }

    @Override
    public void reboot(NodeTarget node) throws DriverException {
        machines.reboot(node);
    }

    @Override
    public Optional<BootDevice> bootDevice(NodeTarget node) throws DriverException {
        return machines.bootDevice(node);
    }
}
