package dev.plinth.driver.fake;

import dev.plinth.driver.BootDevice;
import dev.plinth.driver.BootDriver;
import dev.plinth.driver.DeployDriver;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.DeployProgress;
import dev.plinth.driver.DeployRequest;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.NodeWaker;
import dev.plinth.driver.PowerDriver;
import dev.plinth.driver.PowerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * FAKE driver: simulated machines in this process, for tests, demos and scale benchmarks. Never touches a network.
 * Time-based: a deploy finishes {@code deployDuration} after its ramdisk boots, whether anyone is watching or not.
 * With a state directory it saves each machine, with its action history, after each change of that machine, so a
 * test can kill the controller, restart it and check that no deploy ran twice ({@link #readMachines}). Reads that
 * change nothing write nothing, and each machine has its own lock.
 *
 * <p>The saves go to one append-only log ({@link MachineLog}): a change is one {@code write} on a file kept open,
 * which the kernel keeps when the process is killed. One file per machine, created and renamed on every change, kept
 * 16 workers queued on the directory's lock at 10,000 nodes (2.8 times slower than in memory); one file for all
 * machines, rewritten on every call under one lock, kept them waiting on that lock before.
 */
public final class FakeDriver implements PowerDriver, BootDriver, DeployDriver, AutoCloseable {
    private static final long IMAGE_BYTES = 1L << 30;
    private static final String WAITING = "WAITING";
    private static final String WRITTEN = "WRITTEN";
    private static final String FAILED = "FAILED:";

    private final FakeDriverConfig config;
    private final Path stateDir;
    private final MachineLog log;
    private final NodeWaker waker;
    private final Clock clock;
    private final Map<String, FakeMachine> machines = new ConcurrentHashMap<>();
    private final Random random = new Random(42);
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fake-driver-timer");
        t.setDaemon(true);
        return t;
    });

    public FakeDriver(FakeDriverConfig config, Path stateDir, NodeWaker waker, Clock clock) {
        this.config = config;
        this.stateDir = stateDir;
        this.waker = waker;
        this.clock = clock;
        this.log = stateDir == null ? null : load();
    }

    // --- power ------------------------------------------------------------------------------------------------

    @Override
    public PowerState powerState(NodeTarget node) throws DriverException {
        return bmc(node, null, false, m -> m.power);
    }

    @Override
    public Optional<BootDevice> bootDevice(NodeTarget node) throws DriverException {
        return Optional.of(bmc(node, null, false, m -> m.bootDevice));
    }

    @Override
    public void powerOn(NodeTarget node) throws DriverException {
        bmc(node, "power.on", m -> {
            if (m.power == PowerState.OFF) {
                m.power = PowerState.ON;
                boot(node.name(), m);
            }
            return null;
        });
    }

    @Override
    public void powerOff(NodeTarget node) throws DriverException {
        bmc(node, "power.off", m -> {
            m.power = PowerState.OFF;
            m.runningDeploy = null;
            m.osBootedAt = 0;
            return null;
        });
    }

    /**
     * The fake OS honours a shutdown request: the machine powers off, as {@link #powerOff} but recorded as
     * {@code power.shutdown}; one whose {@link FakeMachine#ignoresShutdown} is set (a hung OS, a ramdisk or firmware
     * that ignores ACPI) stays on.
     */
    @Override
    public void shutdown(NodeTarget node) throws DriverException {
        bmc(node, "power.shutdown", m -> {
            if (!m.ignoresShutdown) {
                m.power = PowerState.OFF;
                m.runningDeploy = null;
                m.osBootedAt = 0;
            }
            return null;
        });
    }

    @Override
    public void reboot(NodeTarget node) throws DriverException {
        Duration before = config.rebootLatency().dividedBy(2);
        sleep(before);
        bmc(node, "power.reboot", m -> {
            m.power = PowerState.ON;
            boot(node.name(), m);
            return null;
        });
        sleep(config.rebootLatency().minus(before));
    }

    @Override
    public void setBootDevice(NodeTarget node, BootDevice device, boolean persistent) throws DriverException {
        bmc(node, "boot.set " + device, m -> {
            m.bootDevice = device;
            return null;
        });
    }

    /** The fake ISO holds the boot's credential only in name: the history shows that a medium went in. */
    @Override
    public void insertMedia(NodeTarget node, String imageUrl) throws DriverException {
        bmc(node, "media.insert", m -> {
            m.media = imageUrl;
            return null;
        });
    }

    @Override
    public void ejectMedia(NodeTarget node) throws DriverException {
        bmc(node, "media.eject", m -> {
            m.media = null;
            return null;
        });
    }

    @Override
    public String publishDeployMedia(NodeTarget node) throws DriverException {
        return local(node, "media.publish", m -> "fake://media/" + m.netbootDeploy + ".iso");
    }

    // --- network boot -----------------------------------------------------------------------------------------

    @Override
    public void prepareDeployBoot(NodeTarget node, DeployRequest deploy) throws DriverException {
        local(node, "netboot.deploy " + deploy.deployId(), m -> {
            m.netbootDeploy = deploy.deployId();
            // a wipe or an inspection boots the same ramdisk with no image to write
            m.netbootImage = deploy.noImage() ? null : deploy.imageName();
            m.netbootChecksum = deploy.noImage() ? null : deploy.image().checksum();
            m.netbootInspect = deploy.inspect();
            m.mac = node.bootMACAddress();
            return null;
        });
    }

    @Override
    public void openDeployBootWindow(NodeTarget node) throws DriverException {
        local(node, "netboot.window", m -> {
            m.bootWindowOpen = true;
            return null;
        });
    }

    @Override
    public void prepareLocalBoot(NodeTarget node) throws DriverException {
        local(node, "netboot.local", m -> {
            m.netbootDeploy = null;
            return null;
        });
    }

    @Override
    public void cleanUp(NodeTarget node) throws DriverException {
        local(node, "netboot.cleanup", m -> {
            m.netbootDeploy = null;
            m.deployResults.clear();
            return null;
        });
    }

    // --- deploy -----------------------------------------------------------------------------------------------

    @Override
    public void start(NodeTarget node, DeployRequest deploy) throws DriverException {
        local(node, null, true, m -> {
            if (m.deployResults.putIfAbsent(deploy.deployId(), WAITING) == null) {
                record(m, "deploy.start " + deploy.deployId());
            }
            return null;
        });
    }

    @Override
    public DeployProgress observe(NodeTarget node, String deployId) throws DriverException {
        return local(node, null, m -> {
            String result = m.deployResults.get(deployId);
            if (result == null) {
                return DeployProgress.of(DeployPhase.UNKNOWN);
            }
            if (result.equals(WRITTEN)) {
                return new DeployProgress(DeployPhase.WRITTEN, IMAGE_BYTES, IMAGE_BYTES, "");
            }
            if (result.startsWith(FAILED)) {
                return new DeployProgress(DeployPhase.FAILED, 0, IMAGE_BYTES, result.substring(FAILED.length()));
            }
            if (deployId.equals(m.runningDeploy)) {
                long total = Math.max(1, config.deployDuration().toMillis());
                long done = Math.min(total, clock.millis() - m.runningSince);
                return new DeployProgress(DeployPhase.WRITING, IMAGE_BYTES * done / total, IMAGE_BYTES, "");
            }
            return DeployProgress.of(DeployPhase.WAITING);
        });
    }

    @Override
    public boolean checkedIn(NodeTarget node, String deployId) throws DriverException {
        return local(node, null, m -> m.power == PowerState.ON && deployId.equals(m.diskDeploy) && m.osBootedAt > 0
                && clock.millis() >= m.osBootedAt + config.bootDuration().toMillis());
    }

    @Override
    public void finish(NodeTarget node, String deployId) throws DriverException {
        local(node, null, true, m -> m.deployResults.remove(deployId));
    }

    // --- simulation -------------------------------------------------------------------------------------------

    /** What a machine does on power-on: run the deploy ramdisk, or boot the OS on its disk. */
    private void boot(String name, FakeMachine m) {
        m.runningDeploy = null;
        m.osBootedAt = 0;
        // the deploy ramdisk comes from the network, or from the deploy ISO in the virtual CD drive
        boolean claims = (m.bootDevice == BootDevice.PXE || (m.bootDevice == BootDevice.CD && m.media != null))
                && m.netbootDeploy != null && m.bootWindowOpen;
        if (m.bootDevice == BootDevice.PXE && m.netbootDeploy != null && !claims) {
            // as the agent serves it: outside a boot window the MAC gets local boot
            record(m, "netboot.nowindow " + m.netbootDeploy);
        }
        if (claims) {
            m.bootWindowOpen = false;
            m.runningDeploy = m.netbootDeploy;
            m.runningImage = m.netbootImage;
            m.runningChecksum = m.netbootChecksum;
            m.runningInspect = m.netbootInspect;
            m.runningSince = clock.millis();
            record(m, "deploy.run " + m.runningDeploy + (m.runningInspect ? " inspect"
                    : m.runningImage == null ? " wipe" : " image=" + m.runningImage));
            wakeLater(name, config.deployDuration());
        } else if (m.diskChecksum != null) {
            m.osBootedAt = clock.millis();
            wakeLater(name, config.bootDuration());
        }
    }

    /** Applies what time has done since the last look: a running deploy finishes and the ramdisk powers off. */
    private void advance(String name, FakeMachine m) {
        if (m.runningDeploy != null && clock.millis() >= m.runningSince + config.deployDuration().toMillis()) {
            String result;
            if (!(m.runningImage == null && !m.runningInspect)) {
                // the ramdisk of a deploy or an inspection reports the hardware (a wipe's does not)
                m.inventoryDeploy = m.runningDeploy;
                m.inventoryAt = clock.millis();
            }
            if (m.runningInspect) {
                // an inspection: the hardware reported, no disk touched
                result = WRITTEN;
                record(m, "inventory.reported");
            } else if (m.runningImage == null) {
                // a wipe: every disk's partition tables and signatures gone
                result = WRITTEN;
                m.diskDeploy = null;
                m.diskImage = null;
                m.diskChecksum = null;
                record(m, "disk.wiped");
            } else if (config.corruptImages().contains(m.runningImage)) {
                result = FAILED + "sha256 of the written image does not match " + m.runningChecksum;
            } else {
                result = WRITTEN;
                m.diskDeploy = m.runningDeploy;
                m.diskImage = m.runningImage;
                m.diskChecksum = m.runningChecksum;
            }
            if (m.deployResults.containsKey(m.runningDeploy)) {
                m.deployResults.put(m.runningDeploy, result);
            }
            record(m, "deploy.done " + m.runningDeploy + " " + (result.equals(WRITTEN) ? "written" : "failed"));
            m.runningDeploy = null;
            m.power = PowerState.OFF;
        }
    }

    private void wakeLater(String name, Duration after) {
        timers.schedule(() -> waker.wake(name), Math.max(1, after.toMillis()), TimeUnit.MILLISECONDS);
    }

    @FunctionalInterface
    private interface MachineOp<T> {
        T apply(FakeMachine m);
    }

    /** A BMC call that changes the machine ({@code op}, recorded in its history). */
    private <T> T bmc(NodeTarget node, String op, MachineOp<T> body) throws DriverException {
        return bmc(node, op, true, body);
    }

    /** A BMC call: latency, injected failures, then the operation; {@code writes}: it may change the machine. */
    private <T> T bmc(NodeTarget node, String op, boolean writes, MachineOp<T> body) throws DriverException {
        sleep(config.callLatency());
        String bmc = node.bmc().address().text();
        if (config.unreachableNodes().contains(node.name())) {
            throw new DriverException(FailureKind.UNREACHABLE, "no answer from BMC " + bmc + " (fake driver)");
        }
        if (config.wrongPasswordNodes().contains(node.name())) {
            throw new DriverException(FailureKind.AUTHENTICATION,
                    "BMC " + bmc + " rejected the credentials of user " + node.credentials().username());
        }
        if (config.flakyCallRate() > 0 && flaky()) {
            throw new DriverException(FailureKind.UNREACHABLE, "no answer from BMC " + bmc + " (injected)");
        }
        return local(node, op, writes, body);
    }

    private synchronized boolean flaky() {
        return random.nextDouble() < config.flakyCallRate();
    }

    /** A controller-side call (network boot, deploy registry) that changes the machine only with an {@code op}. */
    private <T> T local(NodeTarget node, String op, MachineOp<T> body) {
        return local(node, op, op != null, body);
    }

    /**
     * A controller-side call: no BMC involved. Saved when it may change the machine ({@code writes}) or time did
     * (a deploy finished: its history grew); a read of an unchanged machine writes nothing.
     */
    private <T> T local(NodeTarget node, String op, boolean writes, MachineOp<T> body) {
        FakeMachine m = machines.computeIfAbsent(node.name(), k -> new FakeMachine());
        synchronized (m) {
            int events = m.history.size();
            advance(node.name(), m);
            T result = body.apply(m);
            if (op != null) {
                record(m, op);
            }
            if (writes || m.history.size() != events) {
                save(node.name(), m);
            }
            return result;
        }
    }

    private void record(FakeMachine m, String line) {
        m.history.add(clock.millis() + " " + line);
    }

    /** Every action so far, oldest first: {@code <epoch ms> <node> <action> [detail]}. */
    public List<String> journal() {
        List<String> all = new ArrayList<>();
        machines.forEach((name, m) -> {
            synchronized (m) {
                m.history.forEach(h -> {
                    int space = h.indexOf(' ');
                    all.add(h.substring(0, space) + " " + name + h.substring(space));
                });
            }
        });
        all.sort(java.util.Comparator.comparingLong(l -> Long.parseLong(l.substring(0, l.indexOf(' ')))));
        return all;
    }

    /**
     * Changes a machine behind the controller's back (someone at its console, a flapping BMC), as drift tests need;
     * recorded in its history as {@code tamper <what>}.
     */
    public void tamper(String name, String what, java.util.function.Consumer<FakeMachine> change) {
        FakeMachine m = machines.get(name);
        if (m == null) {
            throw new IllegalArgumentException("no fake machine " + name);
        }
        synchronized (m) {
            advance(name, m);
            change.accept(m);
            record(m, "tamper " + what);
            save(name, m);
        }
    }

    /**
     * Whether the machine named {@code name} runs the OS of its disk now (on, booted from its disk, past its boot
     * time); empty when there is no such machine.
     */
    public Optional<Boolean> osRunning(String name) {
        FakeMachine m = machines.get(name);
        if (m == null) {
            return Optional.empty();
        }
        synchronized (m) {
            advance(name, m);
            return Optional.of(m.power == PowerState.ON && m.diskChecksum != null && m.osBootedAt > 0
                    && clock.millis() >= m.osBootedAt + config.bootDuration().toMillis());
        }
    }

    /**
     * What the simulated ramdisk last reported of the machine's hardware (a fixed machine: 4 CPUs, 8 GiB, one 64 GiB
     * disk, one NIC with the boot MAC), as the agent's inventory; empty before any deploy or inspection ran.
     */
    public Optional<dev.plinth.agent.Inventory> inventory(String name) {
        FakeMachine m = machines.get(name);
        if (m == null) {
            return Optional.empty();
        }
        synchronized (m) {
            advance(name, m);
            if (m.inventoryDeploy == null) {
                return Optional.empty();
            }
            return Optional.of(new dev.plinth.agent.Inventory(m.inventoryDeploy,
                    java.time.Instant.ofEpochMilli(m.inventoryAt), 4, "FAKE CPU", 8L << 30, "uefi",
                    List.of(new dev.plinth.agent.Inventory.Disk("vda", 64L << 30, "FAKE DISK", "FAKE", "fake-"
                            + name, "", false, false, false)),
                    List.of(new dev.plinth.agent.Inventory.Nic("eth0", m.mac == null ? "" : m.mac, "up", 1000))));
        }
    }

    public Optional<FakeMachine> machine(String name) {
        return Optional.ofNullable(machines.get(name));
    }

    /** Saves one machine (the caller holds its lock): one line appended to the log. */
    private void save(String name, FakeMachine m) {
        if (log != null) {
            log.append(name, m);
        }
    }

    /** The machines a FAKE driver with state directory {@code stateDir} saved, by node name (for tests). */
    public static Map<String, FakeMachine> readMachines(Path stateDir) throws IOException {
        return MachineLog.read(stateDir);
    }

    private MachineLog load() {
        MachineLog opened;
        try {
            opened = MachineLog.open(stateDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load fake machines from " + stateDir, e);
        }
        machines.putAll(opened.loaded());
        // machines kept running while we were away: make sure someone looks when they finish
        machines.forEach((name, m) -> {
            if (m.runningDeploy != null || m.osBootedAt > 0) {
                wakeLater(name, config.deployDuration().plus(config.bootDuration()));
            }
        });
        return opened;
    }

    private static void sleep(Duration d) {
        if (!d.isZero()) {
            try {
                Thread.sleep(d.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        timers.shutdownNow();
        if (log != null) {
            log.close();
        }
    }
}
